using System.Net;
using LivePatch.Core.Repository;
using LivePatch.Server.Auth;
using LivePatch.Server.Ui;

namespace LivePatch.Server.Tests.Ui;

/// <summary>Dashboard sessions after the login (<see cref="DashboardSessions"/>): what ends them, and what they cannot do.</summary>
public sealed class SessionTests : IDisposable
{
    private readonly RepositoryFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Session_KeyDeleted_SignedOutAtTheNextRequest()
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);
        var created = (await (await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("ops-bob", RepositoryRoles.Admin))).Content.ReadFromJsonAsync<ApiKeyInfo>())!;
        using var browser = new DashboardBrowser(_factory);
        await browser.SignInAsync(created.Secret!);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/ui")).StatusCode);

        await admin.DeleteAsync($"/v1/api-keys/{created.Id}");
        using var after = await browser.Http.GetAsync("/ui");

        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/ui/login", after.Headers.Location!.OriginalString);
        // Signed out, not merely refused once: the response clears the cookie.
        Assert.Contains(after.Headers.GetValues("Set-Cookie"), c => c.StartsWith(DashboardSessions.CookieName + "=;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Session_ConfiguredKeyReplacedUnderTheSameName_SignedOut()
    {
        const string Key = "lpk_configured_operator-key-for-the-test";
        var settings = new Dictionary<string, string?>
        {
            ["LivePatch:ApiKeys:0:Name"] = "ops",
            ["LivePatch:ApiKeys:0:Role"] = "admin",
            ["LivePatch:ApiKeys:0:Sha256"] = ApiKeyService.HashForConfiguration(Key),
        };
        using var first = new RepositoryFactory(settings) { DeleteDataOnDispose = false };
        var session = await SessionCookieAsync(first, Key);
        using (var before = BrowserWithCookie(first, session))
        {
            Assert.Equal(HttpStatusCode.OK, (await before.GetAsync("/ui")).StatusCode);
        }

        first.Dispose();

        settings["LivePatch:ApiKeys:0:Sha256"] = ApiKeyService.HashForConfiguration(Key + "-rotated");
        using var second = new RepositoryFactory(settings, first.DataDirectory);
        using var client = BrowserWithCookie(second, session);

        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/ui")).StatusCode);
    }

    [Fact]
    public async Task Session_AfterRestartOnTheSameData_StillValid()
    {
        using var first = new RepositoryFactory { DeleteDataOnDispose = false };
        var session = await SessionCookieAsync(first, first.AdminKey);
        first.Dispose();

        using var second = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var client = BrowserWithCookie(second, session);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ui")).StatusCode);
        var folder = Path.Combine(first.DataDirectory, OwnerOnlyXmlRepository.FolderName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.All(Directory.GetFiles(folder), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        Assert.NotEmpty(Directory.GetFiles(folder, "key-*.xml"));
    }

    [Fact]
    public async Task Session_TamperedCookie_NotASession()
    {
        var session = await SessionCookieAsync(_factory, _factory.AdminKey);
        var tampered = session[..^4] + (session[^4] == 'A' ? 'B' : 'A') + session[^3..];
        using var client = BrowserWithCookie(_factory, tampered);

        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/ui")).StatusCode);
    }

    [Fact]
    public async Task Session_IdleLongerThanTheTimeout_Ended()
    {
        using var browser = new DashboardBrowser(_factory);
        await browser.SignInAsync(_factory.AdminKey);

        _factory.Time.Advance(new DashboardOptions().SessionIdleTimeout + TimeSpan.FromMinutes(1));

        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/ui")).StatusCode);
    }

    [Fact]
    public async Task Session_InUseBeyondTheLifetime_Ended()
    {
        var options = new DashboardOptions();
        using var browser = new DashboardBrowser(_factory);
        await browser.SignInAsync(_factory.AdminKey);
        var step = options.SessionIdleTimeout * 0.75; // each request renews the idle timeout
        var elapsed = TimeSpan.Zero;

        while (elapsed + step < options.SessionLifetime)
        {
            _factory.Time.Advance(step);
            elapsed += step;
            Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/ui")).StatusCode);
        }

        _factory.Time.Advance(step);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/ui")).StatusCode);
    }

    [Fact]
    public async Task WriteApi_SessionCookieOnly_401NothingChanged()
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);
        var patch = (await (await admin.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).Content.ReadFromJsonAsync<PatchInfo>())!;
        using var browser = new DashboardBrowser(_factory);
        await browser.SignInAsync(_factory.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/ui")).StatusCode); // the cookie is a session

        var writes = new (HttpMethod Method, string Path, HttpContent? Body)[]
        {
            (HttpMethod.Post, "/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", Fixtures.OtherBuildId))),
            (HttpMethod.Post, $"/v1/patches/{patch.Id}/revoke", JsonContent.Create(new RevokeRequest("forged"))),
            (HttpMethod.Post, $"/v1/patches/{patch.Id}/promote", JsonContent.Create(new PromoteRequest("stable"))),
            (HttpMethod.Delete, $"/v1/patches/{patch.Id}", null),
            (HttpMethod.Post, "/v1/api-keys", JsonContent.Create(new CreateApiKeyRequest("forged", RepositoryRoles.Admin))),
            (HttpMethod.Get, "/v1/api-keys", null),
            (HttpMethod.Post, "/v1/upstream/sync", null),
        };
        foreach (var (method, path, body) in writes)
        {
            using var response = await browser.Http.SendAsync(new HttpRequestMessage(method, path) { Content = body });
            await PublishTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        }

        var stored = (await admin.GetFromJsonAsync<PatchInfo>($"/v1/patches/{patch.Id}"))!;
        Assert.Null(stored.Revoked);
        Assert.Equal(["stable"], stored.Channels);
        Assert.Single((await admin.GetFromJsonAsync<ApiKeyInfo[]>("/v1/api-keys"))!);
    }

    /// <summary>Logs in with <paramref name="key"/> and returns the session cookie's value.</summary>
    private static async Task<string> SessionCookieAsync(RepositoryFactory factory, string key)
    {
        using var browser = new DashboardBrowser(factory);
        using var response = await browser.LogInAsync(key);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(DashboardSessions.CookieName + "=", StringComparison.Ordinal));
        return cookie[(DashboardSessions.CookieName.Length + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    /// <summary>A client that sends only <paramref name="session"/> as its session cookie (no cookie handling of its own).</summary>
    private static HttpClient BrowserWithCookie(RepositoryFactory factory, string session)
    {
        var client = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            AllowAutoRedirect = false,
            HandleCookies = false,
            BaseAddress = new Uri("https://localhost/"),
        });
        client.DefaultRequestHeaders.Add("Cookie", $"{DashboardSessions.CookieName}={session}");
        return client;
    }
}
