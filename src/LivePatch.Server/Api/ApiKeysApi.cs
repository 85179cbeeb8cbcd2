using LivePatch.Core.Repository;
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

    private static Results<Created<ApiKeyInfo>, ProblemHttpResult> Create(CreateApiKeyRequest body, ApiKeyService service)
    {
        if (!ApiKeyService.IsValidName(body.Name))
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.ApiKeyNameInvalid, $"An API key's name must be {ApiKeyService.NameRule}."));
        }

        if (!RepositoryRoles.IsKnown(body.Role))
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.ApiKeyInvalid, $"Give a role: {string.Join(", ", RepositoryRoles.All.Select(r => $"'{r}'"))}."));
        }

        var created = service.Create(body.Name, body.Role);
        return TypedResults.Created($"/v1/api-keys/{created.Id}", created);
    }

    private static Results<NoContent, ProblemHttpResult> Delete(string id, ApiKeyService service) =>
        service.Delete(id) is { } problem ? Problems.Result(problem) : TypedResults.NoContent();
}
