using LivePatch.Core.Kernel;
using LivePatch.Core.Manifests;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Manifests;
using LivePatch.Server.Publishing;
using LivePatch.Server.ReadPath;
using LivePatch.Server.Storage;
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
        v1.MapMethods("/manifests/{channel}/{buildId}", read, GetManifest).WithSummary("The signed manifest of one kernel in one channel.");
        v1.MapMethods("/blobs/sha256/{hex}", read, GetBlob).WithSummary("Module bytes by SHA-256 (immutable; Range and ETag).");
        v1.MapMethods("/coverage/{channel}/{prefix}", read, GetCoverage)
            .WithSummary("The signed coverage bin: every kernel of the channel with a manifest whose build ID starts with the two hex digits.");
        v1.MapMethods("/index", read, GetIndex).WithSummary("The signed repository index (every coverage bin), for mirrors.");
        return app;
    }

    private static IResult GetManifest(string channel, string buildId, HttpContext context, ManifestService manifests, IOptions<RepositoryOptions> options)
    {
        if (UnknownChannelOrNull(channel, options.Value) is { } unknown)
        {
            return unknown;
        }

        // Only the canonical lowercase form names a manifest, as on a static mirror where paths are case-sensitive.
        if (!BuildId.TryParse(buildId, out var id) || id.Hex != buildId)
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.BuildIdInvalid, "The build ID must be 16 to 128 lowercase hex digits."));
        }

        if (manifests.GetOrNull(channel, buildId) is not { } manifest)
        {
            // A lookup, never a signature: the kernel's signed coverage bin is what proves "not covered" to a host.
            return Problems.Result(new RepositoryProblem(ProblemCodes.KernelNotCovered,
                $"No live patches for this kernel in channel '{channel}'; the signed coverage bin /v1/coverage/{channel}/{CoverageBin.PrefixOf(buildId)} says so."));
        }

        return Serve(context, manifest, ReadHeaders.SignedDocumentCacheControl);
    }

    private static IResult GetCoverage(string channel, string prefix, HttpContext context, CoverageService coverage, IOptions<RepositoryOptions> options)
    {
        if (UnknownChannelOrNull(channel, options.Value) is { } unknown)
        {
            return unknown;
        }

        if (prefix.Length != CoverageBin.PrefixLength || !prefix.All(char.IsAsciiHexDigitLower) || coverage.GetOrNull(channel, prefix) is not { } bin)
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.PrefixInvalid, "A coverage bin is named by the first two lowercase hex digits of a build ID (00 to ff)."));
        }

        return Serve(context, bin, ReadHeaders.SignedDocumentCacheControl);
    }

    private static IResult GetIndex(HttpContext context, IndexService index) =>
        Serve(context, index.CurrentOrNull ?? throw new InvalidOperationException("The index is signed at start, before requests are taken."), ReadHeaders.SignedDocumentCacheControl);

    private static IResult? UnknownChannelOrNull(string channel, RepositoryOptions options) =>
        options.Channels.Contains(channel)
            ? null
            : Problems.Result(new RepositoryProblem(ProblemCodes.UnknownChannel, $"This repository has no channel of that name; it has: {string.Join(", ", options.Channels)}."));

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

        context.Response.Headers.CacheControl = ReadHeaders.BlobCacheControl;
        return TypedResults.PhysicalFile(path, ReadHeaders.BlobContentType, enableRangeProcessing: true, entityTag: new EntityTagHeaderValue($"\"{hex}\""));
    }

    private static IResult Serve(HttpContext context, ServedDocument document, string cacheControl)
    {
        var headers = context.Response.Headers;
        headers.ETag = document.ETag;
        headers.CacheControl = cacheControl;
        if (ReadHeaders.Matches(context.Request.Headers.IfNoneMatch, document.ETag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(document.Bytes, ReadHeaders.CmsContentType);
    }
}
