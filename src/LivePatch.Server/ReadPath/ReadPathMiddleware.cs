using System.IO.Pipelines;
using System.Text;
using LivePatch.Core.Kernel;
using LivePatch.Server.Configuration;
using LivePatch.Server.Manifests;
using LivePatch.Server.Storage;
using LivePatch.Server.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.ReadPath;

/// <summary>The hot read path, answered before routing: a manifest or a whole blob straight from memory, or a 304.</summary>
/// <remarks>
/// A fleet's hourly polls are almost all manifest GETs and 304s (the scale target: ~17k requests/s for a million hosts),
/// so these skip routing, endpoint filters and result objects and write precomputed bytes and headers. A stored
/// manifest or a cached blob is found without allocating and answered on the thread that parsed the request (with
/// inline socket I/O, the socket's event thread). Everything else goes to the thread pool through
/// <see cref="ThreadPoolContext"/>: there a first read of a blob fills the cache, and anything else (a kernel with no
/// manifest, an unknown channel, a malformed build ID, a coverage bin, a Range request, the write API) falls through
/// to the endpoints, which validate and answer with ProblemDetails. HEAD is answered here too,
/// as a static mirror would.
/// <para>What it answers is counted by kind and status (<see cref="RepositoryMetrics.DocumentServed"/>, an increment, no
/// allocation) and left out of ASP.NET Core's request histogram, whose recording cost about a tenth of each answer; the
/// README of this folder has the measurements.</para>
/// </remarks>
public sealed class ReadPathMiddleware
{
    private const string ManifestPrefix = "/v1/manifests/";
    private const string BlobPrefix = "/v1/blobs/sha256/";
    private readonly RequestDelegate _next;
    private readonly ManifestService _manifests;
    private readonly BlobCache _blobs;
    private readonly HashSet<string> _channels;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _channelsBySpan;
    private readonly Func<HttpContext, Task> _offThread;
    private readonly bool _inlineSocketIo;
    private readonly RepositoryMetrics _metrics;

    public ReadPathMiddleware(RequestDelegate next, ManifestService manifests, BlobCache blobs, IOptions<RepositoryOptions> options,
        RepositoryMetrics metrics)
    {
        _next = next;
        _metrics = metrics;
        _manifests = manifests;
        _blobs = blobs;
        _channels = new(options.Value.Channels, StringComparer.Ordinal);
        _channelsBySpan = _channels.GetAlternateLookup<ReadOnlySpan<char>>();
        _offThread = OffThreadAsync;
        _inlineSocketIo = options.Value.InlineSocketIo;
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (IsWholeRead(context.Request))
        {
            var path = context.Request.Path.Value ?? "";
            if (path.StartsWith(ManifestPrefix, StringComparison.Ordinal) && TryGetStoredManifest(path.AsSpan(ManifestPrefix.Length), out var manifest))
            {
                WithoutRequestMetrics(context);
                return WriteStoredAsync(context, manifest);
            }

            if (path.StartsWith(BlobPrefix, StringComparison.Ordinal) && _blobs.TryGetCached(path.AsSpan(BlobPrefix.Length), out var blob))
            {
                return WriteBlobAsync(context, blob);
            }
        }

        // Only with inline socket I/O does the request start on the socket's event thread; otherwise it is on the thread
        // pool already, as ASP.NET Core runs every request, and needs no context of ours.
        return _inlineSocketIo ? ThreadPoolContext.Run(_offThread, context) : OffThreadAsync(context);
    }

    /// <summary>On the thread pool: what may read the disk, LiteDB or sign, then the rest of the pipeline.</summary>
    private Task OffThreadAsync(HttpContext context)
    {
        if (!IsWholeRead(context.Request))
        {
            return _next(context);
        }

        var path = context.Request.Path.Value ?? "";
        if (path.StartsWith(BlobPrefix, StringComparison.Ordinal) && _blobs.GetOrNull(path[BlobPrefix.Length..]) is { } blob)
        {
            return WriteBlobAsync(context, blob);
        }

        return _next(context);
    }

    /// <summary>Leaves the answer out of ASP.NET Core's <c>http.server.request.duration</c>: it is counted by kind and
    /// status (<see cref="RepositoryMetrics.DocumentServed"/>) at a fraction of that histogram's cost.</summary>
    private static void WithoutRequestMetrics(HttpContext context)
    {
        if (context.Features.Get<IHttpMetricsTagsFeature>() is { } tags)
        {
            tags.MetricsDisabled = true;
        }
    }

    /// <summary>GET or HEAD of a whole document; Range requests are the endpoints' work.</summary>
    private static bool IsWholeRead(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) && request.Headers.Range.Count == 0;

    /// <summary>A manifest already signed and stored, for a configured channel: two lookups, no allocation.</summary>
    private bool TryGetStoredManifest(ReadOnlySpan<char> key, out StoredManifest manifest)
    {
        var slash = key.IndexOf('/');
        manifest = default;
        return slash > 0 && _channelsBySpan.Contains(key[..slash]) && _manifests.TryGetStored(key, out manifest);
    }

    /// <summary>A stored manifest: a poll that sends its ETag gets a 304 without the ETag ever becoming a string.</summary>
    private Task WriteStoredAsync(HttpContext context, StoredManifest manifest)
    {
        var ifNoneMatch = context.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count == 1 && ifNoneMatch[0] is { } sent && Ascii.Equals(manifest.ETag, sent))
        {
            var headers = context.Response.Headers;
            headers.ETag = sent; // the same characters as ours
            headers.CacheControl = ReadHeaders.SignedDocumentCacheControl;
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            _metrics.DocumentServed(DocumentKind.Manifest, notModified: true);
            return Task.CompletedTask;
        }

        return WriteAsync(context, DocumentKind.Manifest, manifest.Body, Encoding.ASCII.GetString(manifest.ETag), ReadHeaders.CmsContentType,
            ReadHeaders.SignedDocumentCacheControl);
    }

    private Task WriteBlobAsync(HttpContext context, CachedBlob blob)
    {
        WithoutRequestMetrics(context);
        return WriteAsync(context, DocumentKind.Blob, blob.Bytes, blob.ETag, ReadHeaders.BlobContentType, ReadHeaders.BlobCacheControl);
    }

    private Task WriteAsync(HttpContext context, DocumentKind kind, ReadOnlyMemory<byte> body, string etag, string contentType, string cacheControl)
    {
        var response = context.Response;
        var headers = response.Headers;
        headers.ETag = etag;
        headers.CacheControl = cacheControl;
        var notModified = ReadHeaders.Matches(context.Request.Headers.IfNoneMatch, etag);
        _metrics.DocumentServed(kind, notModified);
        if (notModified)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentType = contentType;
        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }

        return WriteBodyAsync(response, body, context.RequestAborted);
    }

    /// <summary>A manifest in one write; a larger body (a module) straight into large blocks of Kestrel's output.</summary>
    /// <remarks>
    /// Written whole, a body is copied into the pipe in pages, and a 1 MiB module became 256 pieces to rent, return
    /// and hand to the socket one by one: measured, about half of the server's user CPU for such a download. Asking
    /// the pipe for <see cref="WarmBlockPool.LargeBlockSize"/> at a time makes it 16. The response is started first:
    /// before that, Kestrel holds what is written in buffers of its own and copies it into the pipe once more.
    /// </remarks>
    private static Task WriteBodyAsync(HttpResponse response, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (body.Length <= WarmBlockPool.SmallBlockSize)
        {
            return response.Body.WriteAsync(body, cancellationToken).AsTask();
        }

        var start = response.StartAsync(cancellationToken);
        return start.IsCompletedSuccessfully ? WriteLarge(response.BodyWriter, body.Span, cancellationToken) : WriteLargeAsync(start, response.BodyWriter, body, cancellationToken);
    }

    private static async Task WriteLargeAsync(Task start, PipeWriter writer, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        await start;
        await WriteLarge(writer, body.Span, cancellationToken);
    }

    private static Task WriteLarge(PipeWriter writer, ReadOnlySpan<byte> body, CancellationToken cancellationToken)
    {
        while (body.Length > 0)
        {
            var span = writer.GetSpan(WarmBlockPool.LargeBlockSize);
            var length = Math.Min(span.Length, body.Length);
            body[..length].CopyTo(span);
            writer.Advance(length);
            body = body[length..];
        }

        return writer.FlushAsync(cancellationToken).AsTask();
    }
}
