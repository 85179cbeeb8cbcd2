using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Manifests;

/// <summary>Outcome of verifying a signed manifest: the manifest when valid, else one issue.</summary>
public sealed record ManifestVerificationResult
{
    [MemberNotNullWhen(true, nameof(Manifest))]
    public bool IsValid => Issue is null && Manifest is not null;

    public Manifest? Manifest { get; init; }

    public VerificationIssue? Issue { get; init; }

    public IReadOnlyList<X509Certificate2> TrustedSigners { get; init; } = [];

    /// <summary>When valid: lets the next check of the same bytes skip the chain building.</summary>
    public Trust.SignatureMemo? Memo { get; init; }

    public static ManifestVerificationResult Refused(VerificationIssue issue) => new() { Issue = issue };
}
