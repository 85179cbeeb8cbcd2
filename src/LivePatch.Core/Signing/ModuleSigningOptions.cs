namespace LivePatch.Core.Signing;

/// <summary>How <see cref="ModuleSigner"/> signs: replace an existing signature, name the signer by SKID.</summary>
public sealed record ModuleSigningOptions
{
    /// <summary>Strip any signature already appended and sign the bare module (else signing one is refused).</summary>
    public bool ReplaceExistingSignature { get; init; }

    /// <summary>Name the signer by subjectKeyIdentifier (CMS version 3), as <c>sign-file -k</c> does.</summary>
    public bool UseSubjectKeyIdentifier { get; init; }
}
