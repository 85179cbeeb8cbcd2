using LivePatch.Core.Mirrors;
using LivePatch.Core.Repository;
using LivePatch.Server.Api;
using LivePatch.Server.Manifests;
using LivePatch.Server.Publishing;
using LivePatch.Server.ReadPath;
using LivePatch.Server.Telemetry;

namespace LivePatch.Server.Mirror;

/// <summary>The read paths in the mirror mode, answered from the tree's files with the repository mode's names, headers
/// and problems (<see cref="ReadNames"/>, <see cref="ReadHeaders"/>), so that a host cannot tell the two apart.</summary>
public static class MirrorReadApi
{
    /// <summary>What every other request gets: the mirror mode has no writes, API keys or listings.</summary>
    public static readonly RepositoryProblem NotServed = new(ProblemCodes.NotFound,
        "This server serves a mirror tree read-only (LivePatch:Mode=mirror): only GET and HEAD of /v1/index, /v1/coverage/…, " +
        "/v1/manifests/…, /v1/blobs/sha256/…, /healthz, /readyz and /metrics; no writes, API keys or listings.");

    public static IEndpointRouteBuilder MapMirrorReadApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        string[] read = [HttpMethods.Get, HttpMethods.Head];
        v1.MapMethods("/manifests/{channel}/{buildId}", read, GetManifestAsync);
        v1.MapMethods("/blobs/sha256/{hex}", read, GetBlob);
        v1.MapMethods("/coverage/{channel}/{prefix}", read, GetCoverageAsync);
        v1.MapMethods("/index", read, GetIndexAsync);
        // Lowest priority, any method: a POST to a read path is this 404 too, not a 405 without a code.
        app.MapFallback("{*path}", () => Problems.Result(NotServed));
        return app;
    }

    private static async Task<IResult> GetManifestAsync(string channel, string buildId, HttpContext context, MirrorFiles tree, RepositoryMetrics metrics)
    {
        if (!tree.HasChannel(channel))
        {
            return Problems.Result(ReadNames.UnknownChannel(tree.Channels()));
        }

        if (!ReadNames.IsBuildId(buildId))
        {
            return Problems.Result(ReadNames.BuildIdInvalid);
        }

        // Missing = not covered, as the repository answers: the host then fetches the bin, which proves it (or shows the
        // manifest withheld).
        return await tree.ReadOrNullAsync(MirrorTree.ManifestPath(channel, buildId), MirrorFiles.MaxSignedDocumentBytes, context.RequestAborted) is { } bytes
            ? Serve(context, bytes, DocumentKind.Manifest, metrics)
            : Problems.Result(ReadNames.KernelNotCovered(channel, buildId));
    }

    private static async Task<IResult> GetCoverageAsync(string channel, string prefix, HttpContext context, MirrorFiles tree, RepositoryMetrics metrics)
    {
        if (!tree.HasChannel(channel))
        {
            return Problems.Result(ReadNames.UnknownChannel(tree.Channels()));
        }

        if (!ReadNames.IsPrefix(prefix))
        {
            return Problems.Result(ReadNames.PrefixInvalid);
        }

        return await tree.ReadOrNullAsync(MirrorTree.CoveragePath(channel, prefix), MirrorFiles.MaxSignedDocumentBytes, context.RequestAborted) is { } bytes
            ? Serve(context, bytes, DocumentKind.CoverageBin, metrics)
            : Problems.Result(new RepositoryProblem(ProblemCodes.NotFound, "The mirror tree has no such coverage bin (a sync that has not finished?)."));
    }

    private static async Task<IResult> GetIndexAsync(HttpContext context, MirrorFiles tree, RepositoryMetrics metrics) =>
        await tree.ReadOrNullAsync(MirrorTree.IndexPath, MirrorFiles.MaxIndexBytes, context.RequestAborted) is { } bytes
            ? Serve(context, bytes, DocumentKind.Index, metrics)
            : Problems.Result(new RepositoryProblem(ProblemCodes.NotFound, "The mirror tree has no index any more."));

    private static IResult GetBlob(string hex, HttpContext context, MirrorFiles tree, RepositoryMetrics metrics)
    {
        if (!ReadNames.IsSha256(hex))
        {
            return Problems.Result(ReadNames.InvalidHash);
        }

        if (tree.OpenOrNull(MirrorTree.BlobPath(hex)) is not { } file)
        {
            return Problems.Result(ReadNames.BlobNotFound);
        }

        // Streamed, with Range (206, 416) and If-None-Match (304) handled as the repository's endpoint does; the ETag is the
        // name, the hash of the bytes, as there (hosts check the bytes against it).
        return ReadApi.ServeBlob(context, hex, metrics, etag => TypedResults.File(file, ReadHeaders.BlobContentType, enableRangeProcessing: true, entityTag: etag));
    }

    private static IResult Serve(HttpContext context, byte[] bytes, DocumentKind kind, RepositoryMetrics metrics) =>
        ReadApi.ServeSignedDocument(context, bytes, ServedDocument.ETagOf(bytes), kind, metrics);
}
