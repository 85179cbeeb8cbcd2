using System.Net;
using System.Text.RegularExpressions;
using LivePatch.Core.Repository;
using LivePatch.Server.Ui;

namespace LivePatch.Server.Tests.Ui;

/// <summary>The dashboard's pages (Ui/Pages): what they show of the repository, how they page, and their headers.</summary>
public sealed partial class PagesTests : IDisposable
{
    private readonly RepositoryFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Pages_PublishedPatch_SummaryKernelAndPatchShowIt()
    {
        var patch = await PublishAsync(("buildId", Fixtures.BuildId), ("cve", "CVE-2024-1086"), ("severity", "high"));
        using var browser = await SignedInAsync();

        var summary = await browser.Http.GetStringAsync("/ui");
        var kernels = await browser.Http.GetStringAsync("/ui/kernels");
        var kernel = await browser.Http.GetStringAsync($"/ui/kernel/{Fixtures.BuildId}");
        var patches = await browser.Http.GetStringAsync("/ui/patches");
        var detail = await browser.Http.GetStringAsync($"/ui/patch/{patch.Id}");

        Assert.Contains("<h1>Repository <span class=\"mono\">test</span></h1>", summary);
        Assert.Matches(@"<dt>Kernels</dt>\s*<dd><a href=""/ui/kernels"">1</a></dd>", summary);
        Assert.Matches(@"<dt>Patches</dt>\s*<dd><a href=""/ui/patches"">1</a></dd>", summary);
        Assert.Contains("in 7 days", summary); // the next manifest expiry: just signed, for the full lifetime
        Assert.Contains($"href=\"/ui/kernel/{Fixtures.BuildId}\"", kernels);
        Assert.Contains("6.1.0-56-amd64", kernels);
        Assert.Contains($"href=\"/ui/patch/{patch.Id}\"", kernel);
        Assert.Contains("CVE-2024-1086", patches);
        Assert.Contains("bootstrap-admin", patches); // the publisher: the viewer holds a key
        Assert.Contains("CVE-2024-1086", detail);
        Assert.Contains(patch.Sha256, detail);
        Assert.Contains("high", detail);
    }

    [Fact]
    public async Task Pages_DataWithMarkup_HtmlEncoded()
    {
        var patch = await PublishAsync(("buildId", Fixtures.BuildId), ("description", "<script>alert(1)</script>\"><img src=x onerror=alert(2)>"));
        using var admin = _factory.CreateClient(_factory.AdminKey);
        await admin.PostAsJsonAsync($"/v1/patches/{patch.Id}/revoke", new RevokeRequest("<b onmouseover=alert(3)>bad</b>"));
        using var browser = await SignedInAsync();

        var detail = await browser.Http.GetStringAsync($"/ui/patch/{patch.Id}");
        var listing = await browser.Http.GetStringAsync("/ui/patches");

        foreach (var html in new[] { detail, listing })
        {
            Assert.DoesNotContain("<script>", html);
            Assert.DoesNotContain("<img", html);
            Assert.DoesNotContain("<b ", html);
        }

        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;", detail);
        Assert.Contains("&lt;b onmouseover=alert(3)&gt;bad&lt;/b&gt;", listing);
    }

    [Fact]
    public async Task Kernels_MoreThanAPage_NextPageLinkFollowsTheCursor()
    {
        var buildIds = Enumerable.Range(0, DashboardText.PageSize + 1).Select(i => $"{i:x8}{Fixtures.BuildId[8..]}").ToArray();
        await PublishAsync([.. buildIds.Select(b => ("buildId", b))]);
        using var browser = await SignedInAsync();

        var first = await browser.Http.GetStringAsync("/ui/kernels");
        var next = NextLink().Match(first);
        var second = await browser.Http.GetStringAsync(WebUtility.HtmlDecode(next.Groups[1].Value));

        Assert.Equal(DashboardText.PageSize, KernelLink().Matches(first).Count);
        Assert.Equal($"/ui/kernels?after={buildIds[DashboardText.PageSize - 1]}", WebUtility.HtmlDecode(next.Groups[1].Value));
        Assert.Equal(buildIds[^1], Assert.Single(KernelLink().Matches(second)).Groups[1].Value);
        Assert.DoesNotMatch(NextLink(), second);
        Assert.Contains("First page", second);
    }

    [Theory]
    [InlineData("/ui/patches?after=abc", HttpStatusCode.BadRequest, "'after' must be a patch id")]
    [InlineData("/ui/patches?channel=nightly", HttpStatusCode.NotFound, "Unknown channel")]
    [InlineData("/ui/kernels?after=xyz", HttpStatusCode.BadRequest, "'after' must be a build ID")]
    [InlineData("/ui/kernel/not-a-build-id", HttpStatusCode.NotFound, "No patch targets this kernel")]
    [InlineData("/ui/patch/999", HttpStatusCode.NotFound, "There is no patch with that id")]
    public async Task Pages_BadInput_StatusAndMessageOnThePage(string path, HttpStatusCode status, string message)
    {
        using var browser = await SignedInAsync();

        using var response = await browser.Http.GetAsync(path);

        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith(message, DashboardBrowser.AlertOf(await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("/ui/login", false)]
    [InlineData("/ui", true)]
    [InlineData("/ui/patches", true)]
    public async Task Pages_SecurityHeaders_NoScriptNoFramingNoCaching(string path, bool signedIn)
    {
        using var browser = signedIn ? await SignedInAsync() : new DashboardBrowser(_factory);

        using var response = await browser.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertDashboardHeaders(response);
        Assert.DoesNotContain("<script", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Pages_RedirectToLogin_CarriesTheHeadersToo()
    {
        using var browser = new DashboardBrowser(_factory);

        using var response = await browser.Http.GetAsync("/ui/kernels");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        AssertDashboardHeaders(response);
    }

    [Fact]
    public async Task Stylesheet_Anonymous_ServedFromTheServerAndCacheable()
    {
        using var browser = new DashboardBrowser(_factory);
        var link = Regex.Match(await browser.Http.GetStringAsync("/ui/login"), "<link rel=\"stylesheet\" href=\"([^\"]+)\"").Groups[1].Value;

        using var response = await browser.Http.GetAsync(link);

        Assert.StartsWith("/ui/dashboard.css?v=", link);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.CacheControl!.Public);
        Assert.Contains("header nav", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OpenApi_DashboardPages_NotListed()
    {
        using var client = _factory.CreateClient();

        var document = await client.GetStringAsync("/openapi/v1.json");

        Assert.DoesNotContain("/ui", document);
    }

    private static void AssertDashboardHeaders(HttpResponseMessage response)
    {
        Assert.Equal(DashboardHeaders.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True(response.Headers.CacheControl!.NoStore);
    }

    private async Task<DashboardBrowser> SignedInAsync()
    {
        var browser = new DashboardBrowser(_factory);
        await browser.SignInAsync(_factory.AdminKey);
        return browser;
    }

    private async Task<PatchInfo> PublishAsync(params (string Key, string Value)[] fields)
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);
        using var response = await admin.PostAsync("/v1/patches", Fixtures.Upload(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"), fields));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
    }

    [GeneratedRegex("<a rel=\"next\" href=\"([^\"]+)\">")]
    private static partial Regex NextLink();

    [GeneratedRegex("<a href=\"/ui/kernel/([0-9a-f]+)\">")]
    private static partial Regex KernelLink();
}
