using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Signing;

/// <summary>Outcome of verifying a module's appended signature: valid, or the first issue found.</summary>
public sealed record ModuleVerificationResult
{
    /// <summary>True only with no issue and both a parsed signature and a keyring signer: fails closed.</summary>
    public bool IsValid => Issue is null && Signature is not null && Signer is not null;

    /// <summary>The first check that failed, or null when the signature is valid.</summary>
    public VerificationIssue? Issue { get; init; }

    /// <summary>The parsed signature, when it could be parsed.</summary>
    public ModuleSignatureInfo? Signature { get; init; }

    /// <summary>The keyring certificate that made the signature, when one was found.</summary>
    public X509Certificate2? Signer { get; init; }

    internal static ModuleVerificationResult Fail(ErrorCode code, string message, ModuleSignatureInfo? signature = null,
        X509Certificate2? signer = null) =>
        new() { Issue = new VerificationIssue(code, message), Signature = signature, Signer = signer };
}
