using LivePatch.Core.Repository;
using LivePatch.Server.Api;

namespace LivePatch.Server.Audit;

/// <summary><c>GET /v1/audit</c> (viewer or admin: the operators who watch the fleet also see who changed what): the audit trail, newest first, one bounded page at a time.</summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/audit", List).WithTags("Audit").RequireApiKey(HostsApi.ViewerPolicy)
            .Produces<ListPage<AuditEntry>>().ProducesProblems(StatusCodes.Status400BadRequest)
            .WithSummary("Recent publishes, promotions, revocations, deletions, key changes, imports and refused authentications, newest first "
                + "(action, since, limit, after: docs/api.md).");
        return app;
    }

    // Bound as text, as the other listings: a malformed value is our page-invalid or audit-filter-invalid, not the framework's 400.
    private static IResult List(AuditTrail audit, string? action, string? since, string? after, string? limit)
    {
        var outcome = audit.Query(action, since, after, limit);
        return outcome.Problem is { } problem ? Problems.Result(problem) : TypedResults.Ok(outcome.Value);
    }
}
