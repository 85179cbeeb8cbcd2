using LivePatch.Core.Kernel;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Manifests;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace LivePatch.Server.Api;

/// <summary>The anonymous read path: manifests, blobs and the index, identical in layout to a static mirror.</summary>
public static class ReadApi
{
    public const string CmsContentType = "application/pkcs7-mime; smime-type=signed-data";

    // Hosts poll hourly; a minute of caching lets a CDN absorb herds while a new patch still spreads fast.
    private const string ManifestCacheControl = "public, max-age=60, must-revalidate";
    private const string BlobCacheControl = "public, max-age=31536000, immutable";

    public static IEndpointRouteBuilder MapReadApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithTags("Read (anonymous)");
        // GET and HEAD, as a static mirror answers both: a HEAD the middleware passes on (a malformed build ID) gets the
        // same problem a GET gets, not a 405.
        string[] read = [HttpMethods.Get, HttpMethods.Head];
        v1.MapMethods("/manifests/{channel}/{buildId}", read, GetManifest).WithSummary("The signed manifest of one kernel in one channel.");
        v1.MapMethods("/blobs/sha256/{hex}", read, GetBlob).WithSummary("Module bytes by SHA-256 (immutable; Range and ETag).");
        v1.MapMethods("/index", read, GetIndex).WithSummary("The signed repository index, for mirrors.");
        return app;
    }

    private static IResult GetManifest(string channel, string buildId, HttpContext context, ManifestService manifests, IOptions<RepositoryOptions> options)
    {
        if (!options.Value.Channels.Contains(channel))
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.UnknownChannel, $"This repository has no channel of that name; it has: {string.Join(", ", options.Value.Channels)}."));
        }

        // Only the canonical lowercase form names a manifest, as on a static mirror where paths are case-sensitive.
        if (!BuildId.TryParse(buildId, out var id) || id.Hex != buildId)
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.BuildIdInvalid, "The build ID must be 16 to 128 lowercase hex digits."));
        }

        return Serve(context, manifests.Get(channel, buildId), ManifestCacheControl);
    }

    private static IResult GetIndex(HttpContext context, IndexService index) => Serve(context, index.Get(), ManifestCacheControl);

    private static IResult GetBlob(string hex, HttpContext context, BlobStore blobs)
    {
        if (!BlobStore.IsSha256Hex(hex))
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.InvalidHash, "A blob is named by its SHA-256: 64 lowercase hex digits."));
        }

        if (blobs.PathOrNull(hex) is not { } path)
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.BlobNotFound, "No module with that SHA-256 is stored here."));
        }

        context.Response.Headers.CacheControl = BlobCacheControl;
        return TypedResults.PhysicalFile(path, "application/octet-stream", enableRangeProcessing: true, entityTag: new EntityTagHeaderValue($"\"{hex}\""));
    }

    private static IResult Serve(HttpContext context, ServedDocument document, string cacheControl)
    {
        var headers = context.Response.Headers;
        headers.ETag = document.ETag;
        headers.CacheControl = cacheControl;
        if (ReadPathMiddleware.Matches(context.Request.Headers.IfNoneMatch, document.ETag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(document.Bytes, CmsContentType);
    }
}
