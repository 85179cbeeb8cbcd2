using System.Net;
using LivePatch.Server.Ui;
using LivePatch.Server.Ui.Pages;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace LivePatch.Server.Tests.Ui;

/// <summary>The dashboard's login and logout (<see cref="LoginModel"/>, <see cref="LogoutModel"/>).</summary>
public sealed class LoginTests : IDisposable
{
    private readonly RepositoryFactory _repository = new();
    private readonly LogLines _log = new();
    private readonly WebApplicationFactory<Program> _factory;

    // The repository's server with a log to read; _repository itself is never started (two servers on one data folder).
    public LoginTests() => _factory = _repository.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(_log)));

    private string AdminKey
    {
        get
        {
            _ = _factory.Services; // the first start writes the key
            return File.ReadAllText(Path.Combine(_repository.DataDirectory, RepositoryStartup.AdminKeyFileName)).Trim();
        }
    }

    public void Dispose()
    {
        _factory.Dispose();
        _repository.Dispose();
    }

    [Theory]
    [InlineData("/ui", "%2Fui")]
    [InlineData("/ui/patches?channel=stable", "%2Fui%2Fpatches%3Fchannel%3Dstable")]
    [InlineData("/ui/patch/1", "%2Fui%2Fpatch%2F1")]
    public async Task Page_NotSignedIn_RedirectsToLoginOnThisSite(string page, string returnUrl)
    {
        using var browser = new DashboardBrowser(_factory);

        using var response = await browser.Http.GetAsync(page);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/ui/login?ReturnUrl={returnUrl}", response.Headers.Location!.OriginalString); // relative: no Host header in it
    }

    [Fact]
    public async Task Login_AdminKey_SessionCookieWithoutTheKey()
    {
        using var browser = new DashboardBrowser(_factory);
        var key = AdminKey;

        using var response = await browser.LogInAsync(key, "/ui/kernels");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/ui/kernels", response.Headers.Location!.OriginalString);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(DashboardSessions.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("; httponly", cookie);
        Assert.Contains("; secure", cookie);
        Assert.Contains("; samesite=strict", cookie);
        Assert.Contains("; path=/", cookie);
        Assert.DoesNotContain("expires=", cookie); // a browser-session cookie
        Assert.DoesNotContain(key.Split('_', 3)[2], cookie); // the secret: lpk_ID_SECRET, and the secret may hold '_' itself
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/ui/kernels")).StatusCode);
        Assert.Contains(_log.Messages, m => m.StartsWith("Dashboard login: API key 'bootstrap-admin' (admin)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Login_UnknownWrongOrMalformedKey_SameMessageNoSessionAndLogged()
    {
        var admin = AdminKey;
        string[] refused = ["lpk_000000000000_unknown", admin[..^1] + (admin[^1] == 'A' ? 'B' : 'A'), "not-a-key", new string('k', 300), " "];

        foreach (var key in refused)
        {
            using var browser = new DashboardBrowser(_factory);
            using var response = await browser.LogInAsync(key);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(LoginModel.RefusedMessage, DashboardBrowser.AlertOf(await response.Content.ReadAsStringAsync()));
            Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(DashboardSessions.CookieName, StringComparison.Ordinal)));
            Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/ui")).StatusCode);
        }

        Assert.Equal(refused.Length, _log.Messages.Count(m => m.StartsWith("Dashboard login refused from", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("publisher")]
    [InlineData("reporter")]
    public async Task Login_PublisherOrReporterKey_RefusedForItsRole(string role)
    {
        using var browser = new DashboardBrowser(_factory);

        using var response = await browser.LogInAsync(await CreateKeyAsync(role));

        Assert.Contains($"role ('{role}') may not open the dashboard", DashboardBrowser.AlertOf(await response.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/ui")).StatusCode);
    }

    [Fact]
    public async Task Login_ViewerKey_OpensTheDashboard()
    {
        using var browser = new DashboardBrowser(_factory);

        (await browser.LogInAsync(await CreateKeyAsync("viewer"))).Dispose();

        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/ui")).StatusCode);
    }

    private async Task<string> CreateKeyAsync(string role)
    {
        using var admin = _factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        using var created = await admin.PostAsJsonAsync("/v1/api-keys", new Core.Repository.CreateApiKeyRequest($"k-{role}", role));
        return (await created.Content.ReadFromJsonAsync<Core.Repository.ApiKeyInfo>())!.Secret!;
    }

    [Fact]
    public async Task Login_AfterTooManyFailures_429EvenForTheRightKey()
    {
        using var browser = new DashboardBrowser(_factory);
        for (var i = 0; i < LoginThrottle.FailuresPerWindow; i++)
        {
            (await browser.LogInAsync("lpk_000000000000_guess" + i)).Dispose();
        }

        using var response = await browser.LogInAsync(AdminKey);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(LoginModel.ThrottledMessage, DashboardBrowser.AlertOf(await response.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/ui")).StatusCode);
    }

    [Fact]
    public async Task Login_WithoutAntiforgeryToken_400NoSession()
    {
        using var browser = new DashboardBrowser(_factory);
        await browser.TokenAsync("/ui/login"); // the antiforgery cookie alone, as a forged cross-site form would have it

        using var response = await browser.Http.PostAsync("/ui/login", new FormUrlEncodedContent([KeyValuePair.Create("key", AdminKey)]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/ui")).StatusCode);
    }

    [Fact]
    public async Task Login_FormOverItsLimit_400Unread()
    {
        using var browser = new DashboardBrowser(_factory);

        using var response = await browser.LogInAsync(AdminKey + new string(' ', 10_000)); // trimmed, the key would match

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/ui")).StatusCode);
    }

    [Theory]
    [InlineData("https://evil.example/ui")]
    [InlineData("//evil.example/ui")]
    [InlineData("/\\evil.example/ui")]
    [InlineData("/v1/api-keys")]
    [InlineData("/uix")]
    [InlineData("/ui/../v1/api-keys")]
    [InlineData("/ui/%2e%2e/v1/api-keys")]
    public async Task Login_ReturnUrlOffTheDashboard_GoesToTheSummary(string returnUrl)
    {
        using var browser = new DashboardBrowser(_factory);

        using var response = await browser.LogInAsync(AdminKey, returnUrl);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/ui", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Logout_Post_EndsTheSession()
    {
        using var browser = new DashboardBrowser(_factory);
        await browser.SignInAsync(AdminKey);

        using var response = await browser.PostFormAsync("/ui/logout");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/ui/login", response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/ui")).StatusCode);
    }

    [Fact]
    public async Task Logout_GetOrWithoutToken_SessionKept()
    {
        using var browser = new DashboardBrowser(_factory);
        await browser.SignInAsync(AdminKey);

        using var get = await browser.Http.GetAsync("/ui/logout");
        using var forged = await browser.Http.PostAsync("/ui/logout", new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.Redirect, get.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/ui")).StatusCode);
    }
}
