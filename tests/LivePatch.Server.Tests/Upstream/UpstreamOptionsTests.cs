using System.ComponentModel.DataAnnotations;
using LivePatch.Server.Upstream;

namespace LivePatch.Server.Tests.Upstream;

public sealed class UpstreamOptionsTests
{
    [Fact]
    public void Validate_NothingConfigured_IsValid()
    {
        Assert.Empty(Problems(new UpstreamOptions()));
    }

    [Fact]
    public void Validate_UrlWithoutRoots_NamesRoots()
    {
        Assert.Contains(Problems(new UpstreamOptions { Url = "https://vendor.example/" }), p => p.Contains(":Roots must name", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("file:///srv/mirror")]
    [InlineData("vendor.example")]
    public void Validate_UrlNotHttp_IsRefused(string url)
    {
        Assert.Contains(Problems(new UpstreamOptions { Url = url, Roots = [TestKeys.KeyFile("root.pem")] }), p => p.Contains(":Url must be", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MissingRootFile_NamesIt()
    {
        Assert.Contains(Problems(new UpstreamOptions { Roots = ["/nonexistent/vendor-root.pem"] }), p => p.Contains("/nonexistent/vendor-root.pem", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_TimerWithoutUrl_IsRefused()
    {
        Assert.Contains(Problems(new UpstreamOptions { Roots = [TestKeys.KeyFile("root.pem")], SyncInterval = TimeSpan.FromHours(1) }),
            p => p.Contains("SyncInterval needs", StringComparison.Ordinal));
    }

    [Fact]
    public void Start_ChannelMappedIntoUnknownSiteChannel_StopsTheServer()
    {
        using var factory = new RepositoryFactory(new()
        {
            ["LivePatch:Upstream:Roots:0"] = TestKeys.KeyFile("root.pem"),
            ["LivePatch:Upstream:Channels:stable"] = "candidate",
        });

        var e = Assert.ThrowsAny<Exception>(() => factory.Services);

        Assert.Contains("LivePatch:Upstream:Channels", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ChannelMap_Unset_FollowsEverySiteChannelByName()
    {
        Assert.Equal(new Dictionary<string, string> { ["candidate"] = "candidate", ["stable"] = "stable" },
            new UpstreamOptions().ChannelMap(["candidate", "stable"]));
    }

    private static List<string> Problems(UpstreamOptions options) =>
        [.. options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage!)];
}
