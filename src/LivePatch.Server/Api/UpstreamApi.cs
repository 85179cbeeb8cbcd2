using LivePatch.Core;
using LivePatch.Core.Mirrors.Bundles;
using LivePatch.Core.Repository;
using LivePatch.Server.Audit;
using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using LivePatch.Server.Upstream;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Api;

/// <summary>A site repository's import from its vendor, on request (admin only): from the configured URL, or from a bundle
/// carried across an air gap.</summary>
public static class UpstreamApi
{
    /// <summary>What a bundle upload is sent as (<c>lpatch mirror import FILE --server URL</c>).</summary>
    public const string BundleContentType = "application/zstd";

    /// <summary>An import refuses with the vendor's verification codes passed through (docs/api.md, "Site repositories").</summary>
    private static readonly int[] ImportProblems =
    [
        StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge,
        StatusCodes.Status422UnprocessableEntity, StatusCodes.Status502BadGateway, StatusCodes.Status503ServiceUnavailable,
    ];

    public static IEndpointRouteBuilder MapUpstreamApi(this IEndpointRouteBuilder app)
    {
        var upstream = app.MapGroup("/v1/upstream").WithTags("Upstream").RequireApiKey(ApiKeysApi.AdminPolicy);
        upstream.MapPost("/sync", SyncAsync)
            .ProducesProblems(ImportProblems)
            .WithSummary("Import from LivePatch:Upstream:Url now: verify the vendor's index, bins, manifests and modules, then store them as this repository's own.");
        upstream.MapPost("/import", ImportAsync)
            .WithMetadata(new RequestBodyDescription(typeof(Stream), BundleContentType))
            .ProducesProblems(ImportProblems)
            .WithSummary("Import a bundle (lpatch mirror export): unpacked within bounds, every blob hashed, then verified and stored like a sync.");
        return app;
    }

    private static async Task<Results<Ok<UpstreamSyncSummary>, ProblemHttpResult>> SyncAsync(UpstreamImport import, HttpContext context, AuditTrail audit, CancellationToken cancellation) =>
        Audited(AuditAction.UpstreamSync, await import.SyncAsync(cancellation), AuditActor.Of(context), audit);

    private static async Task<Results<Ok<UpstreamSyncSummary>, ProblemHttpResult>> ImportAsync(HttpContext context, UpstreamImport import, IOptions<UpstreamOptions> upstream,
        IOptions<RepositoryOptions> options, ILoggerFactory logs, AuditTrail audit, CancellationToken cancellation) =>
        Audited(AuditAction.UpstreamImport, await ImportBundleAsync(context, import, upstream, options, logs, cancellation), AuditActor.Of(context), audit);

    private static Results<Ok<UpstreamSyncSummary>, ProblemHttpResult> Audited(AuditAction action, Outcome<UpstreamSyncSummary> outcome, AuditActor actor, AuditTrail audit)
    {
        audit.RecordImport(action, outcome, actor);
        return outcome.Problem is { } problem ? Problems.Result(problem) : TypedResults.Ok(outcome.Value!);
    }

    /// <summary>The body is the bundle, streamed to a private folder under the data directory (never held in memory), then
    /// imported by the same code as a sync; the folder is removed whatever happens.</summary>
    private static async Task<Outcome<UpstreamSyncSummary>> ImportBundleAsync(HttpContext context, UpstreamImport import, IOptions<UpstreamOptions> upstream,
        IOptions<RepositoryOptions> options, ILoggerFactory logs, CancellationToken cancellation)
    {
        if (!upstream.Value.IsConfigured)
        {
            return new RepositoryProblem(ProblemCodes.UpstreamNotConfigured,
                "This repository has no upstream roots to verify a bundle with: set LivePatch:Upstream:Roots.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = upstream.Value.MaxBundleBytes;
        }

        if (context.Request.ContentLength > upstream.Value.MaxBundleBytes)
        {
            return new RepositoryProblem(ErrorCodes.BundleTooLarge,
                $"The bundle is {context.Request.ContentLength} bytes; this repository takes at most {upstream.Value.MaxBundleBytes} (LivePatch:Upstream:MaxBundleBytes).");
        }

        var staging = Directory.CreateDirectory(Path.Combine(options.Value.DataDirectory, "upstream-staging")).FullName;
        try
        {
            using var bundle = await UnpackedBundle.UnpackAsync(context.Request.Body, staging,
                new BundleLimits { MaxBlobBytes = options.Value.MaxModuleBytes }, null, cancellation);
            return await import.ImportAsync(bundle.Source, cancellation);
        }
        catch (LivePatchFormatException e)
        {
            logs.CreateLogger(typeof(UpstreamApi)).LogWarning("Bundle import refused [{Code}]: {Message}", e.Code, e.Message);
            return new RepositoryProblem(e.Error, e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new RepositoryProblem(ErrorCodes.BundleTooLarge,
                $"The bundle is larger than this repository takes ({upstream.Value.MaxBundleBytes} bytes, LivePatch:Upstream:MaxBundleBytes).");
        }
    }
}
