using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LivePatch.Ui.Tests;

/// <summary>The dashboard as an operator meets it: the real server, headless Chromium, a published patch.</summary>
[Collection(DashboardFixture.Collection)]
public sealed partial class DashboardBrowserTests(DashboardFixture fixture, ITestOutputHelper output)
{
    private const string RefusedMessage = "That API key is not valid (unknown, deleted or mistyped).";

    [Fact]
    public async Task Dashboard_LoginBrowseLogout_ShowsThePublishedPatch()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();

        // Not signed in: every page sends the browser to the login, which brings it back afterwards.
        await page.GotoAsync("/ui");
        await Expect(page).ToHaveURLAsync(LoginUrl());
        await ScreenshotAsync(page, "01-login");

        await LogInAsync(page, "lpk_0123456789ab_not-a-key-this-server-made");
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync(RefusedMessage);
        Assert.True(await fixture.Server.LogShowsAsync("Dashboard login refused from 127.0.0.1"), fixture.Server.Log);
        await ScreenshotAsync(page, "02-login-refused");

        await LogInAsync(page, fixture.Server.AdminKey);
        await Expect(page).ToHaveURLAsync(new Regex(@"/ui$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Repository dev");
        await Expect(page.Locator("header")).ToContainTextAsync("bootstrap-admin (admin)");
        await ScreenshotAsync(page, "03-summary");
        await AssertSessionCookieAsync(context, fixture.Server.AdminKey);

        await page.GetByRole(AriaRole.Link, new() { Name = "Kernels", Exact = true }).ClickAsync();
        await Expect(page.Locator("table")).ToContainTextAsync("6.1.0-56-amd64");
        await ScreenshotAsync(page, "04-kernels");

        await page.GetByRole(AriaRole.Link, new() { Name = DashboardFixture.BuildId }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = $"#{fixture.PatchId}" }).First.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/ui/patch/{fixture.PatchId}$"));
        await Expect(page.Locator("main")).ToContainTextAsync(DashboardFixture.Cve);
        await ScreenshotAsync(page, "05-patch");

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/ui/login$"));
        await ScreenshotAsync(page, "06-logged-out");
        await page.GotoAsync("/ui/patches");
        await Expect(page).ToHaveURLAsync(LoginUrl("%2Fui%2Fpatches"));
    }

    [Fact]
    public async Task Session_CookieOnlyWriteRefused_DeletedKeyLoggedOut()
    {
        using var admin = fixture.Api(fixture.Server.AdminKey);
        var (keyId, key) = await fixture.CreateKeyAsync("ops-alice", "admin");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync("/ui");
        await LogInAsync(page, key);
        await Expect(page.Locator("header")).ToContainTextAsync("ops-alice (admin)");

        // The session cookie goes with every same-site request, the API's too, and the API does not take it: a page
        // (or a forged form) in this browser cannot write through the API.
        var dashboard = await context.APIRequest.GetAsync("/ui");
        var revoke = await context.APIRequest.PostAsync($"/v1/patches/{fixture.PatchId}/revoke", new() { DataObject = new { reason = "forged" } });
        var createKey = await context.APIRequest.PostAsync("/v1/api-keys", new() { DataObject = new { name = "forged", role = "admin" } });
        var deleteKey = await context.APIRequest.DeleteAsync($"/v1/api-keys/{keyId}");

        Assert.Contains("ops-alice", await dashboard.TextAsync()); // the cookie was sent
        Assert.All([revoke, createKey, deleteKey], r => Assert.Equal(401, r.Status));
        Assert.Contains("\"code\":\"unauthenticated\"", await revoke.TextAsync());
        using (var patch = JsonDocument.Parse(await admin.GetStringAsync($"/v1/patches/{fixture.PatchId}")))
        {
            Assert.False(patch.RootElement.TryGetProperty("revoked", out _));
        }

        // The key is deleted: the session it opened ends at its next request.
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/api-keys/{keyId}")).StatusCode);
        await page.ReloadAsync();
        await Expect(page).ToHaveURLAsync(LoginUrl());
        await ScreenshotAsync(page, "07-session-ended");
        Assert.True(await fixture.Server.LogShowsAsync("Dashboard session of API key 'ops-alice' ended: the API key no longer exists"), fixture.Server.Log);
    }

    /// <summary>HttpOnly, Secure, SameSite=Strict, and nothing of the key in it.</summary>
    private static async Task AssertSessionCookieAsync(IBrowserContext context, string key)
    {
        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "__Host-lpatch-dashboard");
        Assert.True(cookie.HttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/", cookie.Path);
        Assert.Equal(-1, cookie.Expires); // a session cookie: closing the browser ends it
        Assert.DoesNotContain(key.Split('_', 3)[2], cookie.Value); // the secret: lpk_ID_SECRET, and the secret may hold '_' itself
    }

    private static Task LogInAsync(IPage page, string key) => DashboardFixture.LogInAsync(page, key);

    private Task ScreenshotAsync(IPage page, string name) => DashboardFixture.ScreenshotAsync(page, name, output);

    private static Regex LoginUrl(string returnUrl = "%2Fui") => new($"/ui/login\\?ReturnUrl={Regex.Escape(returnUrl)}$");
}
