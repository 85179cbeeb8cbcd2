using System.Security.Claims;
using LivePatch.Server.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Ui;

/// <summary>Hosts the operator's dashboard at <c>/ui</c> (repository mode only): Razor Pages under Ui/Pages, signed in with an
/// API key into a cookie session of its own (docs/dashboard.md).</summary>
public static class DashboardExtensions
{
    /// <summary>The dashboard's services: options, the cookie scheme beside the bearer scheme, Data Protection keys in the
    /// data folder, antiforgery, Razor Pages.</summary>
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DashboardOptions>().BindConfiguration(DashboardOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DashboardSessions>();
        services.AddSingleton<LoginThrottle>();

        services.AddDataProtection().SetApplicationName("livepatch-repository");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<RepositoryOptions>>((keys, repository) =>
            keys.XmlRepository = new OwnerOnlyXmlRepository(repository.Value.DataDirectory));

        // Not the default scheme: the API authenticates only its bearer keys, so a cookie alone never reaches a write.
        services.AddAuthentication().AddCookie(DashboardSessions.Scheme);
        services.AddOptions<CookieAuthenticationOptions>(DashboardSessions.Scheme)
            .Configure<IOptions<DashboardOptions>, TimeProvider>((cookie, dashboard, time) => ConfigureCookie(cookie, dashboard.Value, time));
        services.AddAuthorizationBuilder().AddPolicy(DashboardAccess.Policy, policy => policy
            .AddAuthenticationSchemes(DashboardSessions.Scheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => DashboardAccess.MayView(context.User.FindFirstValue(ClaimTypes.Role))));

        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "lpatch-dashboard-antiforgery";
            antiforgery.Cookie.Path = "/" + DashboardRoutes.Prefix;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            // Not Always: antiforgery refuses to run on a plain-HTTP request then, and the dashboard is also opened on
            // http://127.0.0.1. This cookie is half of a token pair and worthless alone; the session cookie is always Secure.
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.SuppressXFrameOptionsHeader = true; // DashboardHeaders sends DENY for every page
        });
        services.AddRazorPages(pages =>
        {
            pages.RootDirectory = "/Ui/Pages";
            pages.Conventions.Add(new DashboardRoutes());
            pages.Conventions.AuthorizeFolder("/", DashboardAccess.Policy);
            pages.Conventions.AllowAnonymousToPage("/Login");
        });
        return builder;
    }

    /// <summary>The dashboard's security headers, its stylesheet and its pages; call after UseAuthorization.</summary>
    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/" + DashboardRoutes.Prefix),
            dashboard => dashboard.Use(DashboardHeaders.SetOnStarting));
        app.MapGet(DashboardStyle.Path, DashboardStyle.Serve).ExcludeFromDescription();
        app.MapRazorPages();
        return app;
    }

    private static void ConfigureCookie(CookieAuthenticationOptions cookie, DashboardOptions dashboard, TimeProvider time)
    {
        cookie.Cookie.Name = DashboardSessions.CookieName;
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SameSite = SameSiteMode.Strict;
        // Browsers keep a Secure cookie from https:// and from loopback (http://127.0.0.1, http://localhost), which they
        // treat as secure contexts; over plain HTTP to any other address the login does not stick (docs/dashboard.md).
        cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        cookie.Cookie.Path = "/"; // what a __Host- cookie must have
        cookie.ExpireTimeSpan = dashboard.SessionIdleTimeout;
        cookie.SlidingExpiration = true;
        cookie.TimeProvider = time;
        cookie.LoginPath = "/ui/login";
        cookie.LogoutPath = "/ui/logout";
        cookie.AccessDeniedPath = "/ui/login";
        cookie.Events.OnValidatePrincipal = context => context.HttpContext.RequestServices.GetRequiredService<DashboardSessions>().ValidateAsync(context);
        cookie.Events.OnRedirectToLogin = RedirectWithinSite;
        cookie.Events.OnRedirectToAccessDenied = RedirectWithinSite;
    }

    /// <summary>A relative redirect: the handler's own is absolute, built from the request's scheme and Host header, which
    /// behind a TLS-terminating proxy is http:// and is whatever the client sent.</summary>
    private static Task RedirectWithinSite(RedirectContext<CookieAuthenticationOptions> context)
    {
        DashboardHeaders.Apply(context.Response); // the redirect is written before the dashboard's own middleware runs
        context.Response.Redirect(new Uri(context.RedirectUri, UriKind.RelativeOrAbsolute) is { IsAbsoluteUri: true } absolute
            ? absolute.PathAndQuery
            : context.RedirectUri);
        return Task.CompletedTask;
    }
}
