using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace LivePatch.Server.Tests.Ui;

/// <summary>What a browser does with the dashboard, over the in-memory server: keeps cookies, does not follow redirects (the
/// tests look at them), and speaks https, since the session cookie is Secure. The real browser is in LivePatch.Ui.Tests.</summary>
internal sealed partial class DashboardBrowser(WebApplicationFactory<Program> factory) : IDisposable
{
    public HttpClient Http { get; } = factory.CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        BaseAddress = new Uri("https://localhost/"),
    });

    /// <summary>Opens the login page and posts <paramref name="key"/> with the page's antiforgery token.</summary>
    public async Task<HttpResponseMessage> LogInAsync(string key, string? returnUrl = null) =>
        await PostFormAsync("/ui/login", ("key", key), ("returnUrl", returnUrl ?? ""));

    /// <summary>Logs in with <paramref name="key"/> and checks that it worked.</summary>
    public async Task SignInAsync(string key)
    {
        using var response = await LogInAsync(key);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    /// <summary>Posts a form as the page at <paramref name="pagePath"/> would: with the antiforgery token it carries.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string pagePath, params (string Name, string Value)[] fields) =>
        await Http.PostAsync(pagePath, new FormUrlEncodedContent(
            fields.Append(("__RequestVerificationToken", await TokenAsync(pagePath))).Select(f => KeyValuePair.Create(f.Item1, f.Item2))));

    /// <summary>The antiforgery token of the form on a page (the logout form of the layout, on any signed-in page).</summary>
    public async Task<string> TokenAsync(string pagePath)
    {
        var html = await Http.GetStringAsync(pagePath == "/ui/logout" ? "/ui" : pagePath);
        return Token().Match(html) is { Success: true } match ? match.Groups[1].Value : throw new InvalidOperationException($"No antiforgery token on {pagePath}:\n{html}");
    }

    /// <summary>The text of the page's alert (a refusal or a problem), or null when it shows none.</summary>
    public static string? AlertOf(string html) => Alert().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();

    [GeneratedRegex("role=\"alert\">([^<]*)<")]
    private static partial Regex Alert();
}
