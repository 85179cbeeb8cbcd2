using System.Security.Claims;
using System.Text.Encodings.Web;
using LivePatch.Core.Repository;
using LivePatch.Server.Api;
using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;api key&gt;</c>; refusals answer with a ProblemDetails carrying a code.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyService keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    private const string BearerPrefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (keys.Authenticate(header[BearerPrefix.Length..].Trim()) is not { } identity)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        Claim[] claims = [new(ClaimTypes.Name, identity.Name), new(ClaimTypes.Role, identity.Role)];
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var hint = Request.Headers.Authorization.Count == 0
            ? "This request needs an API key: send 'Authorization: Bearer <key>' (lpatch: --api-key or LPATCH_API_KEY)."
            : "The API key is not valid (unknown, deleted or mistyped).";
        return Problems.Write(Context, new RepositoryProblem(ProblemCodes.Unauthenticated, hint));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.Write(Context, new RepositoryProblem(ProblemCodes.Forbidden,
            "This API key's role may not do this: publishing needs 'publisher' or 'admin', managing API keys needs 'admin', " +
            "host reports need 'reporter' or 'admin', the fleet questions (hosts, CVEs, patch health) 'viewer' or 'admin'."));
}
