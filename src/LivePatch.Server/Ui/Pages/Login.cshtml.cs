using System.Text.RegularExpressions;
using LivePatch.Server.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LivePatch.Server.Ui.Pages;

/// <summary>The login: an API key in, a cookie session out (no key in it), for the roles <see cref="DashboardAccess"/> allows.</summary>
[RequestSizeLimit(MaxFormBytes)]
[RequestFormLimits(ValueCountLimit = 8, ValueLengthLimit = MaxFormBytes, KeyLengthLimit = 64)]
public sealed partial class LoginModel(ApiKeyService keys, DashboardSessions sessions, LoginThrottle throttle, ILogger<LoginModel> logger) : PageModel
{
    /// <summary>Longer than any key this server makes (about 60 characters); a longer input is refused unread.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>One message for an unknown key and a wrong one: the answer must not tell which ids exist.</summary>
    public const string RefusedMessage = "That API key is not valid (unknown, deleted or mistyped).";

    public const string ThrottledMessage = "Too many failed logins from this address: wait a minute, then try again.";

    private const int MaxFormBytes = 8 * 1024;
    private const int MaxReturnUrlLength = 2048;
    private const string Home = "/" + DashboardRoutes.Prefix;

    [BindProperty]
    public string? Key { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Message { get; private set; }

    public IActionResult OnGet() => IsSignedIn() ? LocalRedirect(Target()) : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        var address = HttpContext.Connection.RemoteIpAddress;
        if (throttle.IsBlocked(address))
        {
            logger.LogDebug("Dashboard login from {Address} not tried: too many failures", address);
            return Refuse(ThrottledMessage, StatusCodes.Status429TooManyRequests);
        }

        var presented = Key?.Trim();
        if (presented is not { Length: > 0 and <= MaxKeyLength } || keys.Authenticate(presented) is not { } key)
        {
            throttle.RecordFailure(address);
            logger.LogWarning("Dashboard login refused from {Address}: unknown or wrong API key", address);
            return Refuse(RefusedMessage, StatusCodes.Status200OK);
        }

        if (!DashboardAccess.MayView(key.Role))
        {
            throttle.RecordFailure(address);
            logger.LogWarning("Dashboard login refused from {Address}: API key '{Name}' has the role '{Role}'", address, key.Name, key.Role);
            return Refuse($"This API key's role ('{key.Role}') may not open the dashboard: log in with an admin key.", StatusCodes.Status200OK);
        }

        // A session cookie (no Expires): closing the browser ends it too.
        await HttpContext.SignInAsync(DashboardSessions.Scheme, sessions.PrincipalFor(key), new AuthenticationProperties { IsPersistent = false });
        logger.LogInformation("Dashboard login: API key '{Name}' ({Role}) from {Address}", key.Name, key.Role, address);
        return LocalRedirect(Target());
    }

    private PageResult Refuse(string message, int status)
    {
        Message = message;
        Key = null;
        Response.StatusCode = status;
        return Page();
    }

    private bool IsSignedIn() =>
        User.Identity is { IsAuthenticated: true, AuthenticationType: DashboardSessions.Scheme }
        && DashboardAccess.MayView(User.FindFirst(System.Security.Claims.ClaimTypes.Role)?.Value);

    /// <summary>Where to go after the login: the dashboard page that sent the browser here, never another site
    /// (<c>//evil.example</c>, <c>/\evil.example</c>) and never a page outside the dashboard.</summary>
    private string Target() =>
        ReturnUrl is { Length: <= MaxReturnUrlLength } url && Url.IsLocalUrl(url) && IsDashboardPath(url.Split('?', '#')[0]) ? url : Home;

    // Segments of plain characters only: "/ui/../v1" or "/ui/%2e%2e/v1" would leave the dashboard once the browser resolves them.
    [GeneratedRegex("^/ui(/[A-Za-z0-9_-]+)*/?$", RegexOptions.IgnoreCase)]
    private static partial Regex DashboardPath();

    private static bool IsDashboardPath(string path) => DashboardPath().IsMatch(path);
}
