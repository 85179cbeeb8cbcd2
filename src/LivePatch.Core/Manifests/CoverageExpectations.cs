namespace LivePatch.Core.Manifests;

/// <summary>What a host asked for; a verified coverage bin must name exactly that (docs/architecture.md, step 4).</summary>
/// <remarks>
/// Refuses mix-and-match: a validly signed bin of another repository or channel, or of another prefix, whose
/// absence of the host's build ID would otherwise read as a false "not covered".
/// </remarks>
public sealed record CoverageExpectations(string Repository, string Channel, string Prefix)
{
    /// <summary>What a host with kernel <paramref name="buildId"/> (lowercase hex) asks for.</summary>
    public static CoverageExpectations For(string repository, string channel, string buildId) =>
        new(repository, channel, CoverageBin.PrefixOf(buildId));

    /// <summary>Returns the first mismatch, or null when the bin is the one that was asked for.</summary>
    public VerificationIssue? Check(CoverageBin bin) => CheckMatches(bin, Repository, Channel, Prefix);

    /// <summary>Ordinal comparisons: ids are exact, never case-folded.</summary>
    public static VerificationIssue? CheckMatches(CoverageBin bin, string repository, string channel, string prefix)
    {
        ArgumentNullException.ThrowIfNull(bin);
        if (!string.Equals(bin.Repository, repository, StringComparison.Ordinal))
        {
            return new(ErrorCodes.CoverageWrongRepository,
                $"Coverage bin is for repository '{bin.Repository}', expected '{repository}'.");
        }

        if (!string.Equals(bin.Channel, channel, StringComparison.Ordinal))
        {
            return new(ErrorCodes.CoverageWrongChannel,
                $"Coverage bin is for channel '{bin.Channel}', expected '{channel}'.");
        }

        if (!string.Equals(bin.Prefix, prefix, StringComparison.Ordinal))
        {
            return new(ErrorCodes.CoverageWrongPrefix,
                $"Coverage bin is for build IDs starting with '{bin.Prefix}', expected '{prefix}'.");
        }

        return null;
    }
}
