using System.Globalization;
using System.Security.Claims;
using LivePatch.Server.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Ui;

/// <summary>Dashboard sessions: what the cookie holds after a login, and the check on every request that the API key behind
/// a session still exists, still has its role and may still see the dashboard.</summary>
/// <remarks>The cookie (encrypted and signed with the Data Protection keys) holds the key's id, name and role and the time of
/// the login, never the key: a stolen cookie is worth one session, which ends when the key is deleted.</remarks>
public sealed class DashboardSessions(ApiKeyService keys, IOptions<DashboardOptions> options, TimeProvider time, ILogger<DashboardSessions> logger)
{
    /// <summary>The cookie authentication scheme, beside the API's bearer scheme (which stays the default: the API never reads
    /// the cookie, so a browser holding one cannot be made to write through the API).</summary>
    public const string Scheme = "DashboardCookie";

    /// <summary><c>__Host-</c>: the browser takes it only with Secure, Path=/ and no Domain, so no other host can set it.</summary>
    public const string CookieName = "__Host-lpatch-dashboard";

    private const string KeyIdClaim = "lpatch:key-id";
    private const string SignedInClaim = "lpatch:signed-in"; // Unix seconds of the login

    /// <summary>The principal a login with <paramref name="key"/> stores in the cookie.</summary>
    public ClaimsPrincipal PrincipalFor(ApiKeyIdentity key)
    {
        Claim[] claims =
        [
            new(KeyIdClaim, key.Id),
            new(ClaimTypes.Name, key.Name),
            new(ClaimTypes.Role, key.Role),
            new(SignedInClaim, time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        ];
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>Runs for every request that carries a session cookie: a session whose key is gone is signed out.</summary>
    public async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (EndReasonOrNull(context.Principal) is not { } reason)
        {
            return;
        }

        logger.LogInformation("Dashboard session of API key '{Name}' ended: {Reason}", context.Principal?.Identity?.Name, reason);
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(Scheme);
    }

    private string? EndReasonOrNull(ClaimsPrincipal? principal)
    {
        var id = principal?.FindFirstValue(KeyIdClaim);
        var role = principal?.FindFirstValue(ClaimTypes.Role);
        if (id is null || !long.TryParse(principal!.FindFirstValue(SignedInClaim), CultureInfo.InvariantCulture, out var signedIn))
        {
            return "the cookie lacks the session's claims";
        }

        if (keys.FindOrNull(id) is not { } key)
        {
            return "the API key no longer exists";
        }

        if (key.Role != role || !DashboardAccess.MayView(key.Role))
        {
            return $"the API key's role is now '{key.Role}'";
        }

        return time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(signedIn) > options.Value.SessionLifetime
            ? $"{DashboardOptions.Section}:SessionLifetime has passed since the login"
            : null;
    }
}
