using System.Net;
using LivePatch.Core.Mirrors;

namespace LivePatch.Server.Upstream;

/// <summary>The read tree of a repository server or static mirror over HTTP: GETs of the <see cref="MirrorTree"/> paths under a
/// base URL, each read stopping at the caller's limit.</summary>
/// <remarks>The client comes from the <see cref="HttpClientName"/> factory client, which carries the standard resilience handler
/// (retries of these GETs with backoff, time-outs). Nothing read is trusted: the import verifies it.</remarks>
public sealed class HttpMirrorSource(HttpClient http, Uri baseUrl) : IMirrorSource
{
    /// <summary>The named <see cref="IHttpClientFactory"/> client for upstream reads.</summary>
    public const string HttpClientName = "upstream";

    private readonly Uri _base = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");

    public string Description => _base.AbsoluteUri;

    public async Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation)
    {
        using var response = await GetOrNullAsync(path, cancellation);
        if (response is null)
        {
            return null;
        }

        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw new MirrorSourceTooLargeException(path, maxBytes);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellation);
        return await MirrorStreams.ReadBoundedAsync(body, path, maxBytes, cancellation);
    }

    public async Task<Stream?> OpenOrNullAsync(string path, CancellationToken cancellation)
    {
        var response = await GetOrNullAsync(path, cancellation);
        if (response is null)
        {
            return null;
        }

        try
        {
            return new ResponseStream(await response.Content.ReadAsStreamAsync(cancellation), response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>The response to a GET of <paramref name="path"/>, or null on 404; any other failure status throws (unreachable).</summary>
    private async Task<HttpResponseMessage?> GetOrNullAsync(string path, CancellationToken cancellation)
    {
        var response = await http.GetAsync(new Uri(_base, path), HttpCompletionOption.ResponseHeadersRead, cancellation);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            response.Dispose();
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            response.Dispose();
            throw new HttpRequestException($"GET {new Uri(_base, path)} answered {status}.", null, (HttpStatusCode)status);
        }

        return response;
    }

    /// <summary>A response body that disposes its response with it.</summary>
    private sealed class ResponseStream(Stream inner, HttpResponseMessage response) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
