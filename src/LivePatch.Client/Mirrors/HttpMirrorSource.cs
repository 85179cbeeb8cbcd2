using System.Net;
using LivePatch.Client.Updates;
using LivePatch.Core.Mirrors;

namespace LivePatch.Client.Mirrors;

/// <summary>A repository server, or a static mirror of one, as a mirror source over HTTP: the read endpoints through the
/// repository client (retries for GETs, time-outs, the redirect policy), bodies read bounded.</summary>
/// <remarks>404 is absence (the sync decides whether that is allowed); any other failure is an <see cref="IOException"/>,
/// which the sync reports as <c>mirror-source-unreachable</c>.</remarks>
public sealed class HttpMirrorSource(RepositoryClient client, TimeSpan bodyTimeout) : IMirrorSource
{
    public string Description => client.Server.ToString().TrimEnd('/');

    public async Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation)
    {
        using var response = await GetAsync(path, cancellation).ConfigureAwait(false);
        if (response is null)
        {
            return null;
        }

        try
        {
            return await BoundedRead.ReadAsync(response, maxBytes, bodyTimeout, cancellation).ConfigureAwait(false)
                ?? throw new MirrorSourceTooLargeException(path, maxBytes);
        }
        catch (HttpRequestException e)
        {
            throw new IOException($"reading the body failed: {e.Message}", e);
        }
    }

    public async Task<Stream?> OpenOrNullAsync(string path, CancellationToken cancellation)
    {
        var response = await GetAsync(path, cancellation).ConfigureAwait(false);
        // Disposing the body stream releases the connection; the response holds nothing else.
        return response is null ? null : await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>The successful answer, or null for 404; anything else is an <see cref="IOException"/>.</summary>
    private async Task<HttpResponseMessage?> GetAsync(string path, CancellationToken cancellation)
    {
        HttpResponseMessage response;
        try
        {
            response = await SendAsync(path, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RepositoryUnreachableException or RepositoryApiException or HttpRequestException)
        {
            throw new IOException(e.Message, e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        response.Dispose();
        return response.StatusCode == HttpStatusCode.NotFound ? null
            : throw new IOException($"{Description} answered {(int)response.StatusCode} {response.ReasonPhrase} for {path}.");
    }

    /// <summary>The repository API call of each of the tree's four shapes.</summary>
    private Task<HttpResponseMessage> SendAsync(string path, CancellationToken cancellation)
    {
        if (!MirrorTree.IsTreePath(path))
        {
            throw new ArgumentException($"'{path}' is not a file of a repository tree.", nameof(path));
        }

        return path.Split('/') switch
        {
            ["v1", "index"] => client.Api.GetIndexAsync(cancellation),
            ["v1", "coverage", var channel, var prefix] => client.Api.GetCoverageBinAsync(channel, prefix, null, cancellation),
            ["v1", "manifests", var channel, var buildId] => client.Api.GetManifestAsync(channel, buildId, null, cancellation),
            _ => client.Api.GetBlobAsync(path[MirrorTree.BlobPath("").Length..], null, cancellation),
        };
    }
}
