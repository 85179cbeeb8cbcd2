using LivePatch.Core.Repository;
using LivePatch.Server.Auth;
using LivePatch.Server.Publishing;

namespace LivePatch.Server.Api;

/// <summary>API key management (admin only).</summary>
public static class ApiKeysApi
{
    public const string AdminPolicy = "admin";

    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapGroup("/v1/api-keys").WithTags("API keys").RequireAuthorization(AdminPolicy);
        keys.MapGet("/", (ApiKeyService service) => TypedResults.Ok(service.List())).WithSummary("List API keys (never their secrets).");
        keys.MapPost("/", Create).WithSummary("Create an API key; the answer carries its secret, once.");
        keys.MapDelete("/{id}", Delete).WithSummary("Delete an API key.");
        return app;
    }

    private static IResult Create(CreateApiKeyRequest body, ApiKeyService service)
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

    private static IResult Delete(string id, ApiKeyService service) =>
        service.Delete(id) is { } problem ? Problems.Result(problem) : TypedResults.NoContent();
}
