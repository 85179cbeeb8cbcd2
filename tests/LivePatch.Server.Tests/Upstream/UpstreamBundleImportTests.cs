using System.Net;
using System.Net.Http.Headers;

namespace LivePatch.Server.Tests.Upstream;

/// <summary><c>POST /v1/upstream/import</c>: who may send a bundle, and what a bundle that is too large or damaged leaves
/// behind (nothing: the site serves what it served, and no staging folder stays). A good bundle's import runs end to end
/// in LivePatch.EndToEnd.Tests (BundleEndToEndTests).</summary>
public sealed class UpstreamBundleImportTests : IDisposable
{
    private const long MaxBundleBytes = 2048;
    private readonly SiteAndVendor _servers = new(siteSettings: new() { ["LivePatch:Upstream:MaxBundleBytes"] = $"{MaxBundleBytes}" });

    public void Dispose() => _servers.Dispose();

    [Fact]
    public async Task Import_WithoutAdminKey_IsRefused()
    {
        var key = await _servers.Site.CreateKeyAsync("publisher");
        using var publisher = _servers.Site.CreateClient(key);

        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsync("/v1/upstream/import", Bundle(100))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _servers.Site.CreateClient().PostAsync("/v1/upstream/import", Bundle(100))).StatusCode);
    }

    [Theory]
    [InlineData(MaxBundleBytes + 1, HttpStatusCode.RequestEntityTooLarge, "bundle-too-large")]
    [InlineData(100, HttpStatusCode.BadRequest, "bundle-corrupt")]
    public async Task Import_TooLargeOrDamaged_IsRefusedAndNothingStored(long length, HttpStatusCode status, string code)
    {
        await _servers.PublishAsync();
        var before = await _servers.SiteStateAsync();
        using var admin = _servers.Site.CreateClient(_servers.Site.AdminKey);

        var response = await admin.PostAsync("/v1/upstream/import", Bundle(length));

        Assert.Equal(status, response.StatusCode);
        Assert.Contains(code, await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await _servers.SiteStateAsync());
        var staging = Path.Combine(_servers.Site.DataDirectory, "upstream-staging");
        Assert.True(!Directory.Exists(staging) || !Directory.EnumerateFileSystemEntries(staging).Any());
    }

    private static ByteArrayContent Bundle(long length)
    {
        var content = new ByteArrayContent(Enumerable.Repeat((byte)'x', (int)length).ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zstd");
        return content;
    }
}
