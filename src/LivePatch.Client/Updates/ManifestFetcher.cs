using LivePatch.Core;
using System.Net;
using LivePatch.Core.Repository;

namespace LivePatch.Client.Updates;

/// <summary>Manifest bytes as one repository served them (or as kept from an earlier run, on a 304): not verified yet.</summary>
/// <remarks><c>NotModified</c>: the repository answered 304 and <c>Signed</c> is the cached copy.</remarks>
public sealed record FetchedManifest(byte[] Signed, string? ETag, bool NotModified, string Repository);

/// <summary>Step 2, the transport: fetch the manifest with the cached ETag, reading at most maxManifestBytes.</summary>
/// <remarks>What comes back is checked by <see cref="ManifestAcceptance"/>; this class decides nothing about trust.</remarks>
public sealed class ManifestFetcher(string channel, long maxManifestBytes, TimeSpan timeout, ManifestCache cache)
{
    /// <summary>Fetches; <paramref name="useCache"/> false (after a kept copy failed verification) asks for the repository's current bytes in full.</summary>
    public async Task<(FetchedManifest? Manifest, UpdateFailure? Failure)> FetchAsync(RepositoryClient repository, string buildId,
        bool useCache, CancellationToken cancellation)
    {
        var cached = useCache ? cache.LoadOrNull(channel, buildId) : null;
        var server = repository.Server.ToString();
        try
        {
            using var response = await repository.Api.GetManifestAsync(channel, buildId, cached?.ETag, cancellation);
            if (response.StatusCode == HttpStatusCode.NotModified && cached is not null)
            {
                return (new FetchedManifest(cached.Signed, cached.ETag, NotModified: true, server), null); // verified again: it may have expired
            }

            if (!response.IsSuccessStatusCode)
            {
                return (null, await RefusalOfAsync(response, server, buildId, cancellation));
            }

            var body = await BoundedRead.ReadAsync(response, maxManifestBytes, timeout, cancellation);
            return body is null
                ? (null, UpdateFailure.Refused(ClientErrorCodes.ManifestTooLarge, $"{server} sent a manifest larger than maxManifestBytes ({maxManifestBytes})."))
                : (new FetchedManifest(body, response.Headers.ETag?.ToString(), NotModified: false, server), null);
        }
        catch (Exception e) when (e is RepositoryUnreachableException or RepositoryApiException or HttpRequestException or IOException
            || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            return (null, Unreachable(server, e.Message));
        }
    }

    /// <summary>A 4xx with a problem code says this host's configuration is wrong (a typo in <c>channel</c>: a configuration
    /// error, exit 2, never "unreachable", which a timer treats as success); a bare 404 is a mirror without the file; 5xx is down.</summary>
    private async Task<UpdateFailure> RefusalOfAsync(HttpResponseMessage response, string server, string buildId, CancellationToken cancellation)
    {
        var status = (int)response.StatusCode;
        // 408 and 429 are the repository being busy (retried already), not a verdict on this host's settings.
        var verdict = status is >= 400 and < 500 and not (408 or 429);
        var problem = verdict ? await ProblemOrNullAsync(response, cancellation) : null;
        if (problem?.Code is { Length: > 0 } code)
        {
            return new UpdateFailure(ClientErrorCodes.OfProblem(code, ErrorCategory.Configuration),
                $"{server} refused {channel}/{buildId} ({status}): {problem.Detail ?? problem.Title ?? code}");
        }

        return response.StatusCode == HttpStatusCode.NotFound
            ? new UpdateFailure(ClientErrorCodes.ManifestNotFound, $"{server} has no manifest for {channel}/{buildId} (404).")
            : Unreachable(server, $"answered {status} {response.ReasonPhrase} for the manifest");
    }

    private async Task<ProblemInfo?> ProblemOrNullAsync(HttpResponseMessage response, CancellationToken cancellation)
    {
        // Time-outs of the HTTP pipeline end when the headers arrive; a repository that trickles the body is cut off here.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        return await RepositoryErrors.ReadProblemOrNullAsync(response, deadline.Token);
    }

    private static UpdateFailure Unreachable(string server, string why) =>
        new(ClientErrorCodes.RepositoryUnreachable, $"{server}: {why}");
}
