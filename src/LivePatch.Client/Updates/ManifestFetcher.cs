using System.Net;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;
using LivePatch.Client.Host;

namespace LivePatch.Client.Updates;

/// <summary>A manifest that passed steps 2 to 6, from the repository that served it.</summary>
public sealed record VerifiedManifest(Manifest Manifest, string Repository, byte[] Signed, string? ETag);

/// <summary>Steps 2 to 6 against one repository: fetch with a size limit, verify the CMS and chain, identity, freshness, rollback.</summary>
public sealed class ManifestFetcher(ClientOptions options, TrustPolicy policy, TimeProvider time, ManifestCache cache)
{
    public async Task<(VerifiedManifest? Manifest, UpdateFailure? Failure)> FetchAsync(
        RepositoryClient repository, HostKernel kernel, ClientState state, CancellationToken cancellation)
    {
        var buildId = kernel.BuildId.Hex;
        var cached = cache.LoadOrNull(options.Channel, buildId);

        // Step 2: fetch, reading at most maxManifestBytes (an endless answer is cut off).
        var (signed, etag, failure) = await DownloadAsync(repository, buildId, cached, cancellation);
        if (failure is not null)
        {
            return (null, failure);
        }

        // Steps 3 and 5: CMS signature, chain to a pinned root, EKU, threshold; expiry and issue time.
        var verified = new ManifestVerifier(policy, time).Verify(signed!);
        if (!verified.IsValid)
        {
            return (null, UpdateFailure.Refused(verified.Issue!));
        }

        // Step 4: the manifest is for what was asked (mix-and-match, wrong kernel, another repository).
        var manifest = verified.Manifest!;
        var expectedRepository = options.RepositoryId ?? state.RepositoryId ?? manifest.Repository;
        if (ManifestExpectations.CheckMatches(manifest, expectedRepository, options.Channel, buildId) is { } mismatch)
        {
            return (null, UpdateFailure.Refused(mismatch));
        }

        // Step 6: never older than what this host accepted before (rollback, freeze with an old manifest).
        var key = ClientState.VersionKey(manifest.Repository, options.Channel, buildId);
        if (state.Versions.TryGetValue(key, out var seen) && manifest.Version < seen)
        {
            return (null, UpdateFailure.Refused(ClientErrorCodes.ManifestRollback,
                $"{repository.Server} served version {manifest.Version} of {options.Channel}/{buildId}, older than version {seen} accepted before."));
        }

        cache.Save(options.Channel, buildId, signed!, etag);
        return (new VerifiedManifest(manifest, repository.Server.ToString(), signed!, etag), null);
    }

    private async Task<(byte[]? Signed, string? ETag, UpdateFailure? Failure)> DownloadAsync(
        RepositoryClient repository, string buildId, CachedManifest? cached, CancellationToken cancellation)
    {
        try
        {
            using var response = await repository.Api.GetManifestAsync(options.Channel, buildId, cached?.ETag, cancellation);
            if (response.StatusCode == HttpStatusCode.NotModified && cached is not null)
            {
                return (cached.Signed, cached.ETag, null); // verified again below: it may have expired since
            }

            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (null, null, new UpdateFailure(FailureKind.Unreachable, ClientErrorCodes.ManifestNotFound,
                    $"{repository.Server} has no channel '{options.Channel}' (404)."));
            }

            if (!response.IsSuccessStatusCode)
            {
                return (null, null, Unreachable(repository, $"answered {(int)response.StatusCode} {response.ReasonPhrase} for the manifest"));
            }

            var body = await BoundedRead.ReadAsync(response, options.MaxManifestBytes, options.RequestTimeout, cancellation);
            return body is null
                ? (null, null, UpdateFailure.Refused(ClientErrorCodes.ManifestTooLarge, $"{repository.Server} sent a manifest larger than maxManifestBytes ({options.MaxManifestBytes})."))
                : (body, response.Headers.ETag?.ToString(), null);
        }
        catch (Exception e) when (e is RepositoryUnreachableException or RepositoryApiException or HttpRequestException or IOException
            || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            return (null, null, Unreachable(repository, e.Message));
        }
    }

    private static UpdateFailure Unreachable(RepositoryClient repository, string why) =>
        new(FailureKind.Unreachable, ClientErrorCodes.RepositoryUnreachable, $"{repository.Server}: {why}");
}
