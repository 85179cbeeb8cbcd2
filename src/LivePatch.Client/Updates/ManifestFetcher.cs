using System.Net;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;
using LivePatch.Client.Host;

namespace LivePatch.Client.Updates;

/// <summary>A manifest that passed steps 2 to 6, from the repository that served it.</summary>
public sealed record VerifiedManifest(Manifest Manifest, string Repository, byte[] Signed, string? ETag, SignatureMemo? Memo = null);

/// <summary>Steps 2 to 6 against one repository: fetch with a size limit, verify the CMS and chain, identity, freshness, rollback.</summary>
public sealed class ManifestFetcher(ClientOptions options, TrustPolicy policy, TimeProvider time, ManifestCache cache)
{
    public async Task<(VerifiedManifest? Manifest, UpdateFailure? Failure)> FetchAsync(
        RepositoryClient repository, HostKernel kernel, ClientState state, CancellationToken cancellation)
    {
        var buildId = kernel.BuildId.Hex;
        var cached = cache.LoadOrNull(options.Channel, buildId);
        var (manifest, failure, fromCache) = await FetchAsync(repository, kernel, state, cached, cancellation);
        if (failure is { Kind: FailureKind.Verification } && fromCache)
        {
            // The kept copy failed (damaged on disk, or stale): ask for the repository's current bytes once, in full.
            cache.Delete(options.Channel, buildId);
            (manifest, failure, _) = await FetchAsync(repository, kernel, state, null, cancellation);
        }

        return (manifest, failure);
    }

    private async Task<(VerifiedManifest? Manifest, UpdateFailure? Failure, bool FromCache)> FetchAsync(
        RepositoryClient repository, HostKernel kernel, ClientState state, CachedManifest? cached, CancellationToken cancellation)
    {
        var buildId = kernel.BuildId.Hex;

        // Step 2: fetch, reading at most maxManifestBytes (an endless answer is cut off).
        var (signed, etag, failure, notModified) = await DownloadAsync(repository, buildId, cached, cancellation);
        if (failure is not null)
        {
            return (null, failure, false);
        }

        // Steps 3 and 5: CMS signature, chain to a pinned root, EKU, threshold; expiry and issue time.
        // An unchanged manifest (a 304, or the same bytes) is re-verified in full but for the chain building, which
        // the memo of its last verification vouches for while every certificate involved is still valid.
        var memo = state.Memos.GetValueOrDefault(ClientState.MemoKey(options.Channel, buildId));
        var verified = new ManifestVerifier(policy, time).Verify(signed!, memo);
        if (!verified.IsValid)
        {
            return (null, UpdateFailure.Refused(verified.Issue!), notModified);
        }

        // Step 4: the manifest is for what was asked (mix-and-match, wrong kernel, another repository).
        var manifest = verified.Manifest!;
        var expectedRepository = options.RepositoryId ?? state.RepositoryId ?? manifest.Repository;
        if (ManifestExpectations.CheckMatches(manifest, expectedRepository, options.Channel, buildId) is { } mismatch)
        {
            return (null, UpdateFailure.Refused(mismatch), notModified);
        }

        // Step 6: never older than what this host accepted before (rollback, freeze with an old manifest).
        var key = ClientState.VersionKey(manifest.Repository, options.Channel, buildId);
        if (state.Versions.TryGetValue(key, out var seen) && manifest.Version < seen)
        {
            return (null, UpdateFailure.Refused(ClientErrorCodes.ManifestRollback,
                $"{repository.Server} served version {manifest.Version} of {options.Channel}/{buildId}, older than version {seen} accepted before."), notModified);
        }

        if (!notModified)
        {
            cache.Save(options.Channel, buildId, signed!, etag);
        }

        return (new VerifiedManifest(manifest, repository.Server.ToString(), signed!, etag, verified.Memo), null, notModified);
    }

    private async Task<(byte[]? Signed, string? ETag, UpdateFailure? Failure, bool NotModified)> DownloadAsync(
        RepositoryClient repository, string buildId, CachedManifest? cached, CancellationToken cancellation)
    {
        try
        {
            using var response = await repository.Api.GetManifestAsync(options.Channel, buildId, cached?.ETag, cancellation);
            if (response.StatusCode == HttpStatusCode.NotModified && cached is not null)
            {
                return (cached.Signed, cached.ETag, null, true); // verified again below: it may have expired since
            }

            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (null, null, new UpdateFailure(FailureKind.Unreachable, ClientErrorCodes.ManifestNotFound,
                    $"{repository.Server} has no channel '{options.Channel}' (404)."), false);
            }

            if (!response.IsSuccessStatusCode)
            {
                return (null, null, Unreachable(repository, $"answered {(int)response.StatusCode} {response.ReasonPhrase} for the manifest"), false);
            }

            var body = await BoundedRead.ReadAsync(response, options.MaxManifestBytes, options.RequestTimeout, cancellation);
            return body is null
                ? (null, null, UpdateFailure.Refused(ClientErrorCodes.ManifestTooLarge, $"{repository.Server} sent a manifest larger than maxManifestBytes ({options.MaxManifestBytes})."), false)
                : (body, response.Headers.ETag?.ToString(), null, false);
        }
        catch (Exception e) when (e is RepositoryUnreachableException or RepositoryApiException or HttpRequestException or IOException
            || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            return (null, null, Unreachable(repository, e.Message), false);
        }
    }

    private static UpdateFailure Unreachable(RepositoryClient repository, string why) =>
        new(FailureKind.Unreachable, ClientErrorCodes.RepositoryUnreachable, $"{repository.Server}: {why}");
}
