using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Updates;

/// <summary>A coverage bin that passed steps 3 to 6, from the repository that served it.</summary>
public sealed record VerifiedCoverageBin(CoverageBin Bin, string Repository, byte[] Signed, string? ETag);

/// <summary>Steps 3 to 6 for the coverage bin fetched after a manifest 404 (docs/manifests.md, "Coverage bins"): the same
/// checks as <see cref="ManifestAcceptance"/>, as a pure function of the bytes, the host's state and the time.</summary>
public sealed class CoverageAcceptance(TrustPolicy policy, TimeProvider time)
{
    /// <summary>Whether <paramref name="fetched"/> is the bin <paramref name="request"/>'s kernel falls in, verified and current.</summary>
    public (VerifiedCoverageBin? Bin, UpdateFailure? Failure) Accept(FetchedDocument fetched, ManifestRequest request, ClientState state)
    {
        // Steps 3 and 5: CMS signature with the bin's own content type, chain to a pinned root, EKU, threshold; then
        // expiry and issue time (an old "not covered" must not outlive a new kernel).
        var verified = new CoverageBinVerifier(policy, time).Verify(fetched.Signed);
        if (!verified.IsValid)
        {
            return (null, UpdateFailure.Refused(verified.Issue!));
        }

        // Step 4: the bin asked for. Another prefix's bin never lists this kernel, nor does another channel's or another
        // repository's, so accepting one would read as a false "not covered".
        var bin = verified.Bin;
        var repository = request.RepositoryId ?? state.RepositoryId ?? bin.Repository;
        if (CoverageExpectations.CheckMatches(bin, repository, request.Channel, CoverageBin.PrefixOf(request.BuildId)) is { } mismatch)
        {
            return (null, UpdateFailure.Refused(mismatch));
        }

        // Step 6: never older than the bin this host accepted before (a replayed "not covered" from before the kernel was).
        if (CheckVersion(bin, request.BuildId, state, fetched.Repository) is { } rollback)
        {
            return (null, rollback);
        }

        return (new VerifiedCoverageBin(bin, fetched.Repository, fetched.Signed, fetched.ETag), null);
    }

    /// <summary>The one rollback check for bins; <see cref="ManifestLookup"/> persists the accepted version right after.</summary>
    /// <remarks>Also against the kernel's own manifest: versions are repository-wide and a bin is signed after the manifests
    /// it lists, so a bin older than a manifest this host accepted is one from before its kernel was covered, replayed (even
    /// to a host that never saw a bin before).</remarks>
    private static UpdateFailure? CheckVersion(CoverageBin bin, string buildId, ClientState state, string server)
    {
        var key = ClientState.CoverageKey(bin.Repository, bin.Channel, bin.Prefix);
        if (state.CoverageVersions.TryGetValue(key, out var seen) && bin.Version < seen)
        {
            return UpdateFailure.Refused(ClientErrorCodes.CoverageRollback,
                $"{server} served version {bin.Version} of coverage bin {bin.Channel}/{bin.Prefix}, older than version {seen} accepted before.");
        }

        return state.Versions.TryGetValue(ClientState.VersionKey(bin.Repository, bin.Channel, buildId), out var manifest) && bin.Version < manifest
            ? UpdateFailure.Refused(ClientErrorCodes.CoverageRollback,
                $"{server} served version {bin.Version} of coverage bin {bin.Channel}/{bin.Prefix}, older than version {manifest} of this kernel's manifest accepted before: a bin from before the kernel was covered.")
            : null;
    }
}
