using LivePatch.Core.Repository;
using LivePatch.Server.Audit;
using LivePatch.Server.Auth;
using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LivePatch.Server.Api;

/// <summary>API key management (admin only).</summary>
public static class ApiKeysApi
{
    public const string AdminPolicy = "admin";

    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/v1/api-keys").WithTags("API keys").RequireApiKey(AdminPolicy);
        keys.MapGet("/", (ApiKeyService service) => TypedResults.Ok(service.List())).WithSummary("List API keys (never their secrets).");
        keys.MapPost("/", Create).ProducesProblems(StatusCodes.Status400BadRequest).WithSummary("Create an API key; the answer carries its secret, once.");
        keys.MapDelete("/{id}", Delete).ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary("Delete an API key (not the last admin key).");
        return app;
    }

    private static Results<Created<ApiKeyInfo>, ProblemHttpResult> Create(CreateApiKeyRequest body, ApiKeyService service, HttpContext context, AuditTrail audit)
    {
        RepositoryProblem? problem = null;
        if (!ApiKeyService.IsValidName(body.Name))
        {
            problem = new RepositoryProblem(ProblemCodes.ApiKeyNameInvalid, $"An API key's name must be {ApiKeyService.NameRule}.");
        }
        else if (!RepositoryRoles.IsKnown(body.Role))
        {
            problem = new RepositoryProblem(ProblemCodes.ApiKeyInvalid, $"Give a role: {string.Join(", ", RepositoryRoles.All.Select(r => $"'{r}'"))}.");
        }

        var created = problem is null ? service.Create(body.Name, body.Role) : null;
        // The new key's id, name and role, never its secret; a refused name is request input and is not kept.
        audit.Record(AuditEvent.Of(AuditAction.ApiKeyCreate, context, problem) with
        {
            Target = created is null ? null : $"{created.Id} ({created.Name}, {created.Role})",
        });
        return created is null ? Problems.Result(problem!) : TypedResults.Created($"/v1/api-keys/{created.Id}", created);
    }

    private static Results<NoContent, ProblemHttpResult> Delete(string id, ApiKeyService service, HttpContext context, AuditTrail audit)
    {
        var deleted = service.List().FirstOrDefault(k => k.Id == id);
        var problem = service.Delete(id);
        audit.Record(AuditEvent.Of(AuditAction.ApiKeyDelete, context, problem) with
        {
            Target = deleted is null ? null : $"{deleted.Id} ({deleted.Name}, {deleted.Role})",
        });
        return problem is not null ? Problems.Result(problem) : TypedResults.NoContent();
    }
}
