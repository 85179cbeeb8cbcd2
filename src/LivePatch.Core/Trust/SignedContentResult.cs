using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Trust;

/// <summary>Outcome of verifying signed content: the content and signers when valid, else one issue.</summary>
public sealed record SignedContentResult
{
    [MemberNotNullWhen(true, nameof(Content))]
    public bool IsValid => Issue is null && Content is not null;

    public VerificationIssue? Issue { get; init; }

    /// <summary>The verified eContent; null unless valid.</summary>
    public byte[]? Content { get; init; }

    /// <summary>Distinct signer certificates that satisfied the policy.</summary>
    public IReadOnlyList<X509Certificate2> TrustedSigners { get; init; } = [];

    /// <summary>When valid: what lets a later check of the same bytes skip the chain building.</summary>
    public SignatureMemo? Memo { get; init; }

    public static SignedContentResult Refused(ErrorCode code, string message) => new() { Issue = new(code, message) };

    public static SignedContentResult Refused(VerificationIssue issue) => new() { Issue = issue };
}
