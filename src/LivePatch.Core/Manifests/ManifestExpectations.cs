namespace LivePatch.Core.Manifests;

/// <summary>What a host asked for; a verified manifest must name exactly that (docs/architecture.md, step 4).</summary>
/// <remarks>Refuses mix-and-match (a validly signed manifest for another repository, channel or kernel).</remarks>
public sealed record ManifestExpectations(string Repository, string Channel, string BuildId)
{
    /// <summary>Returns the first mismatch, or null when the manifest is the one that was asked for.</summary>
    public VerificationIssue? Check(Manifest manifest) => CheckMatches(manifest, Repository, Channel, BuildId);

    /// <summary>Ordinal comparisons: ids are exact, never case-folded.</summary>
    public static VerificationIssue? CheckMatches(Manifest manifest, string repository, string channel, string buildId)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (!string.Equals(manifest.Repository, repository, StringComparison.Ordinal))
        {
            return new(ErrorCodes.ManifestWrongRepository,
                $"Manifest is for repository '{manifest.Repository}', expected '{repository}'.");
        }

        if (!string.Equals(manifest.Channel, channel, StringComparison.Ordinal))
        {
            return new(ErrorCodes.ManifestWrongChannel,
                $"Manifest is for channel '{manifest.Channel}', expected '{channel}'.");
        }

        if (!string.Equals(manifest.BuildId, buildId, StringComparison.Ordinal))
        {
            return new(ErrorCodes.ManifestWrongBuildId,
                $"Manifest is for kernel build ID {manifest.BuildId}, expected {buildId}.");
        }

        return null;
    }
}
