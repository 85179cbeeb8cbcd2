using LivePatch.Server.Upstream;

namespace LivePatch.Server.Api;

/// <summary>A site repository's import from its vendor, on request (admin only).</summary>
public static class UpstreamApi
{
    public static IEndpointRouteBuilder MapUpstreamApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/upstream/sync", SyncAsync).WithTags("Upstream").RequireAuthorization(ApiKeysApi.AdminPolicy)
            .WithSummary("Import from LivePatch:Upstream:Url now: verify the vendor's index, bins, manifests and modules, then store them as this repository's own.");
        return app;
    }

    private static async Task<IResult> SyncAsync(UpstreamImport import, CancellationToken cancellation)
    {
        var outcome = await import.SyncAsync(cancellation);
        return outcome.Problem is { } problem ? Problems.Result(problem) : TypedResults.Ok(outcome.Value);
    }
}
