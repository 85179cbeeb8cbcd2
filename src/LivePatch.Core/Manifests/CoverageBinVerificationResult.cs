using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Manifests;

/// <summary>Outcome of verifying a signed coverage bin: the bin when valid, else one issue.</summary>
public sealed record CoverageBinVerificationResult
{
    [MemberNotNullWhen(true, nameof(Bin))]
    public bool IsValid => Issue is null && Bin is not null;

    public CoverageBin? Bin { get; init; }

    public VerificationIssue? Issue { get; init; }

    public IReadOnlyList<X509Certificate2> TrustedSigners { get; init; } = [];

    public static CoverageBinVerificationResult Refused(VerificationIssue issue) => new() { Issue = issue };
}
