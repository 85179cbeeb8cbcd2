using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Updates;

/// <summary>A manifest that passed steps 2 to 6, from the repository that served it.</summary>
public sealed record VerifiedManifest(Manifest Manifest, string Repository, byte[] Signed, string? ETag, SignatureMemo? Memo = null);

/// <summary>What this host asks a repository for: the manifest must name exactly this (step 4).</summary>
/// <remarks><c>RepositoryId</c>: the configured one; null accepts the pinned one, or the first one seen (pinned then).</remarks>
public sealed record ManifestRequest(string? RepositoryId, string Channel, string BuildId);

/// <summary>Steps 3 to 6: whether fetched manifest bytes are acceptable to this host, as a pure function of the bytes, the
/// host's state and the time. Nothing is fetched, written or remembered here.</summary>
public sealed class ManifestAcceptance(TrustPolicy policy, TimeProvider time)
{
    public (VerifiedManifest? Manifest, UpdateFailure? Failure) Accept(FetchedDocument fetched, ManifestRequest request, ClientState state)
    {
        // Steps 3 and 5: CMS signature, chain to a pinned root, EKU, threshold; then expiry and issue time. An unchanged
        // manifest (a 304, or the same bytes) is re-verified in full but for the chain building, which the memo of its last
        // verification vouches for while every certificate involved is still valid.
        var memo = state.Memos.GetValueOrDefault(ClientState.MemoKey(request.Channel, request.BuildId));
        var verified = new ManifestVerifier(policy, time).Verify(fetched.Signed, memo);
        if (!verified.IsValid)
        {
            return (null, UpdateFailure.Refused(verified.Issue!));
        }

        // Step 4: the manifest is for what was asked (mix-and-match, wrong kernel, another repository).
        var manifest = verified.Manifest;
        var repository = request.RepositoryId ?? state.RepositoryId ?? manifest.Repository;
        if (ManifestExpectations.CheckMatches(manifest, repository, request.Channel, request.BuildId) is { } mismatch)
        {
            return (null, UpdateFailure.Refused(mismatch));
        }

        // Step 6: never older than what this host accepted before (rollback, freeze with an old manifest).
        if (CheckVersion(manifest, state, fetched.Repository) is { } rollback)
        {
            return (null, rollback);
        }

        return (new VerifiedManifest(manifest, fetched.Repository, fetched.Signed, fetched.ETag, verified.Memo), null);
    }

    /// <summary>The one rollback check; <see cref="UpdateEngine"/> persists the accepted version right after, in one place too.</summary>
    private static UpdateFailure? CheckVersion(Manifest manifest, ClientState state, string server)
    {
        var key = ClientState.VersionKey(manifest.Repository, manifest.Channel, manifest.BuildId);
        return state.Versions.TryGetValue(key, out var seen) && manifest.Version < seen
            ? UpdateFailure.Refused(ClientErrorCodes.ManifestRollback,
                $"{server} served version {manifest.Version} of {manifest.Channel}/{manifest.BuildId}, older than version {seen} accepted before.")
            : null;
    }
}
