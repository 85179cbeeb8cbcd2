using LivePatch.Server.Configuration;
using LivePatch.Server.Manifests;
using LivePatch.Server.ReadPath;
using LivePatch.Server.Storage;
using LivePatch.Server.Telemetry;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace LivePatch.Server.Api;

/// <summary>The anonymous read path: manifests, blobs and the index, identical in layout to a static mirror.</summary>
public static class ReadApi
{
    public static IEndpointRouteBuilder MapReadApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithTags("Read (anonymous)");
        // GET and HEAD, as a static mirror answers both: a HEAD the middleware passes on (a malformed build ID) gets the
        // same problem a GET gets, not a 405.
        string[] read = [HttpMethods.Get, HttpMethods.Head];
        v1.MapMethods("/manifests/{channel}/{buildId}", read, GetManifest).ProducesSignedDocument()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("The signed manifest of one kernel in one channel; 404 kernel-not-covered when it never had a patch there.");
        v1.MapMethods("/blobs/sha256/{hex}", read, GetBlob).ProducesBlob()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("Module bytes by SHA-256 (immutable; Range and ETag).");
        v1.MapMethods("/coverage/{channel}/{prefix}", read, GetCoverage).ProducesSignedDocument()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("The signed coverage bin: every kernel of the channel with a manifest whose build ID starts with the two hex digits.");
        v1.MapMethods("/index", read, GetIndex).ProducesSignedDocument().WithSummary("The signed repository index (every coverage bin), for mirrors.");
        return app;
    }

    private static IResult GetManifest(string channel, string buildId, HttpContext context, ManifestService manifests, IOptions<RepositoryOptions> options,
        RepositoryMetrics metrics)
    {
        if (UnknownChannelOrNull(channel, options.Value) is { } unknown)
        {
            return unknown;
        }

        if (!ReadNames.IsBuildId(buildId))
        {
            return Problems.Result(ReadNames.BuildIdInvalid);
        }

        if (manifests.GetOrNull(channel, buildId) is not { } manifest)
        {
            return Problems.Result(ReadNames.KernelNotCovered(channel, buildId));
        }

        return ServeSignedDocument(context, manifest.Bytes, manifest.ETag, DocumentKind.Manifest, metrics);
    }

    private static IResult GetCoverage(string channel, string prefix, HttpContext context, CoverageService coverage, IOptions<RepositoryOptions> options,
        RepositoryMetrics metrics)
    {
        if (UnknownChannelOrNull(channel, options.Value) is { } unknown)
        {
            return unknown;
        }

        // Every bin of a configured channel exists: one that is missing can only be a malformed name.
        if (!ReadNames.IsPrefix(prefix) || coverage.GetOrNull(channel, prefix) is not { } bin)
        {
            return Problems.Result(ReadNames.PrefixInvalid);
        }

        return ServeSignedDocument(context, bin.Bytes, bin.ETag, DocumentKind.CoverageBin, metrics);
    }

    private static IResult GetIndex(HttpContext context, IndexService index, RepositoryMetrics metrics)
    {
        var current = index.CurrentOrNull ?? throw new InvalidOperationException("The index is signed at start, before requests are taken.");
        return ServeSignedDocument(context, current.Bytes, current.ETag, DocumentKind.Index, metrics);
    }

    private static IResult? UnknownChannelOrNull(string channel, RepositoryOptions options) =>
        options.Channels.Contains(channel) ? null : Problems.Result(ReadNames.UnknownChannel(options.Channels));

    private static IResult GetBlob(string hex, HttpContext context, BlobStore blobs, RepositoryMetrics metrics)
    {
        if (!ReadNames.IsSha256(hex))
        {
            return Problems.Result(ReadNames.InvalidHash);
        }

        if (blobs.PathOrNull(hex) is not { } path)
        {
            return Problems.Result(ReadNames.BlobNotFound);
        }

        return ServeBlob(context, hex, metrics, etag => TypedResults.PhysicalFile(path, ReadHeaders.BlobContentType, enableRangeProcessing: true, entityTag: etag));
    }

    /// <summary>A blob's headers and count; <paramref name="file"/> makes the answer (Range, 206, 416 and 304 are the
    /// framework's, by the same If-None-Match rule the count uses). The mirror mode answers with this too.</summary>
    internal static IResult ServeBlob(HttpContext context, string hex, RepositoryMetrics metrics, Func<EntityTagHeaderValue, IResult> file)
    {
        var etag = $"\"{hex}\"";
        context.Response.Headers.CacheControl = ReadHeaders.BlobCacheControl;
        metrics.DocumentServed(DocumentKind.Blob, ReadHeaders.Matches(context.Request.Headers.IfNoneMatch, etag));
        return file(new EntityTagHeaderValue(etag));
    }

    /// <summary>A manifest, coverage bin or the index: its strong ETag and cache lifetime, then a 304 or the signed bytes
    /// (the mirror mode answers with this too).</summary>
    internal static IResult ServeSignedDocument(HttpContext context, byte[] bytes, string etag, DocumentKind kind, RepositoryMetrics metrics)
    {
        var headers = context.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = ReadHeaders.SignedDocumentCacheControl;
        var notModified = ReadHeaders.Matches(context.Request.Headers.IfNoneMatch, etag);
        metrics.DocumentServed(kind, notModified);
        if (notModified)
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(bytes, ReadHeaders.CmsContentType);
    }
}
