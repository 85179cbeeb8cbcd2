using System.Security.Claims;
using System.Text.Encodings.Web;
using LivePatch.Core.Repository;
using LivePatch.Server.Api;
using LivePatch.Server.Audit;
using LivePatch.Server.Publishing;
using LivePatch.Server.Telemetry;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Auth;

/// <summary>Authenticates <c>Authorization: Bearer &lt;api key&gt;</c>; refusals answer with a ProblemDetails carrying a code.</summary>
/// <remarks>Every refusal is audited and counted (<c>livepatch.auth.failures</c>) once per request, with a reason: a key that
/// is not valid (whether or not the endpoint needed one: an anonymous read can still be a guess), a request that needed a
/// key and sent none or no bearer token, a key whose role may not do it. The presented secret is never part of either.</remarks>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyService keys,
    AuditTrail audit,
    RepositoryMetrics metrics)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>The claim carrying the key's id (a configured key's name), for the audit trail.</summary>
    public const string KeyIdClaim = "livepatch:key-id";

    private const string BearerPrefix = "Bearer ";

    /// <summary>How much of a refused request's path the audit keeps.</summary>
    private const int MaxAuditedPathLength = 200;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = header[BearerPrefix.Length..].Trim();
        if (keys.Authenticate(presented) is not { } identity)
        {
            Refused("invalid-key", ProblemCodes.Unauthenticated.Code, ApiKeyService.ClaimedIdOrNull(presented));
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        Claim[] claims = [new(ClaimTypes.Name, identity.Name), new(ClaimTypes.Role, identity.Role), new(KeyIdClaim, identity.Id)];
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var sent = Request.Headers.Authorization.Count > 0;
        if (!sent || !Request.Headers.Authorization.ToString().StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            Refused(sent ? "not-bearer" : "missing-key", ProblemCodes.Unauthenticated.Code, keyId: null); // an invalid key was audited above
        }

        var hint = !sent
            ? "This request needs an API key: send 'Authorization: Bearer <key>' (lpatch: --api-key or LPATCH_API_KEY)."
            : "The API key is not valid (unknown, deleted or mistyped).";
        return Problems.Write(Context, new RepositoryProblem(ProblemCodes.Unauthenticated, hint));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Refused("forbidden", ProblemCodes.Forbidden.Code, Context.User.FindFirst(KeyIdClaim)?.Value);
        return Problems.Write(Context, new RepositoryProblem(ProblemCodes.Forbidden,
            "This API key's role may not do this: publishing needs 'publisher' or 'admin', managing API keys needs 'admin', " +
            "host reports need 'reporter' or 'admin', the fleet questions (hosts, CVEs, patch health) 'viewer' or 'admin'."));
    }

    private void Refused(string reason, string outcome, string? keyId)
    {
        metrics.AuthenticationFailed(SchemeName, reason);
        var path = $"{Request.Method} {Request.Path}";
        audit.Record(new AuditEvent(AuditAction.AuthFailed, AuditActor.Of(Context) with { KeyId = keyId }, outcome)
        {
            Reason = reason,
            Target = path.Length > MaxAuditedPathLength ? path[..MaxAuditedPathLength] : path,
        });
    }
}
