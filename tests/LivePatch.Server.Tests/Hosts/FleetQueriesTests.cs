using System.Net;
using LivePatch.Core.Repository;
using LivePatch.Server.Hosts;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests.Hosts;

/// <summary>The fleet questions over real reports and real published patches: every host state, the listing's filters and
/// pages, a host's history, the summary, CVE exposure and patch health.</summary>
public sealed class FleetQueriesTests : IDisposable
{
    private readonly FleetServer _server = new(new() { ["LivePatch:Reports:StaleAfter"] = "1.00:00:00" });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Hosts_EachState_ComputedFromLastReportAndRepository()
    {
        var (level1, level2) = await PublishTwoLevelsAsync();
        var other = await _server.PublishAsync(FleetServer.Rsa, Fixtures.OtherBuildId);
        await _server.RevokeAsync(other.Id);
        using var admin = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);
        await FleetServer.PostOkAsync(admin, FleetServer.Report("stale", applied: [level2]));
        _server.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("patched", applied: [level2]));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("behind", applied: [level1]));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("not-covered", "1234567890abcdef1234567890abcdef12345678"));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("revoked", Fixtures.OtherBuildId, applied: [other]));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("failed", applied: [level1]) with { Outcome = FleetServer.LoaderFailed(level2) });
        await FleetServer.PostOkAsync(admin, FleetServer.Report("held", applied: [level1]) with { Holds = [level2.Name] });

        var hosts = (await Listings.PagesAsync<HostInfo>(admin, "/v1/hosts")).SelectMany(p => p.Items).ToDictionary(h => h.Hostname!);

        Assert.Equal("patched", hosts["host-patched"].State);
        Assert.Equal("behind", hosts["host-behind"].State);
        Assert.Equal("not-covered", hosts["host-not-covered"].State);
        Assert.Equal(["revoked-still-loaded", "not-covered"], hosts["host-revoked"].States);
        Assert.Equal(["apply-failed", "behind"], hosts["host-failed"].States);
        Assert.Equal(["held", "behind"], hosts["host-held"].States);
        Assert.Equal(["stale", "patched"], hosts["host-stale"].States);
        Assert.Equal(2, hosts["host-behind"].AvailableLevel);
        Assert.Equal((level1.Id, false), (hosts["host-behind"].Applied.Single().PatchId, hosts["host-behind"].Applied.Single().Revoked));
        Assert.True(hosts["host-revoked"].Applied.Single().Revoked);
    }

    [Fact]
    public async Task Hosts_StateFilter_ListsExactlyTheHostsWhoseFirstStateItIs()
    {
        var (level1, level2) = await PublishTwoLevelsAsync();
        using var admin = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);
        await FleetServer.PostOkAsync(admin, FleetServer.Report("a", applied: [level1]));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("b", applied: [level2]));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("c", applied: [level1]) with { Holds = ["lp_sample"] });

        var behind = await Listings.PagesAsync<HostInfo>(admin, "/v1/hosts", "state=behind");
        var summary = (await admin.GetFromJsonAsync<FleetSummary>("/v1/hosts/summary"))!;

        Assert.Equal(["host-a"], behind.SelectMany(p => p.Items).Select(h => h.Hostname));
        Assert.Equal((3, 1, 1, 1, 0), (summary.Hosts, summary.States["behind"], summary.States["patched"], summary.States["held"], summary.States["stale"]));
        Assert.Equal((3, 100.0, 1), (summary.Covered, summary.Coverage, summary.Kernels));
        Assert.Equal(summary.Hosts, summary.States.Values.Sum());
    }

    [Fact]
    public async Task Hosts_KernelAndChannelFilterAndPages_FollowTheListingConvention()
    {
        using var admin = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);
        foreach (var seed in new[] { "a", "b", "c", "d", "e" })
        {
            await FleetServer.PostOkAsync(admin, FleetServer.Report(seed, seed == "e" ? Fixtures.OtherBuildId : Fixtures.BuildId, seed == "d" ? "beta" : "stable"));
        }

        var pages = await Listings.PagesAsync<HostInfo>(admin, "/v1/hosts", $"limit=2&kernel={Fixtures.BuildId.ToUpperInvariant()}&channel=stable");

        Assert.Equal(2, pages.Count);
        var ids = pages.SelectMany(p => p.Items).Select(h => h.MachineId).ToList();
        Assert.Equal(new[] { "a", "b", "c" }.Select(FleetServer.MachineId).Order(StringComparer.Ordinal), ids);
        Assert.Null(pages[^1].Next);
    }

    [Fact]
    public async Task Hosts_PageReadsItsShareOfCves_EndsShortWithNext()
    {
        using var admin = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);
        var patch = new PatchInfo
        {
            Id = 1, Name = "lp_sample", Level = 1, Sha256 = new string('a', 64), Size = 1, Signer = "x", KernelRelease = "6.1", BuildIds = [], Channels = [],
            Replace = true, Published = DateTimeOffset.UtcNow, Cves = ["CVE-2024-0001", "CVE-2024-0002"],
        };
        foreach (var seed in new[] { "a", "b", "c" })
        {
            await FleetServer.PostOkAsync(admin, FleetServer.Report(seed, applied: [patch]));
        }

        _server.Repository.Services.GetRequiredService<FleetQueries>().CvesReadPerPage = 3;
        var pages = await Listings.PagesAsync<HostInfo>(admin, "/v1/hosts");

        Assert.Equal([2, 1], pages.Select(p => p.Items.Count));
        Assert.Equal(3, pages.SelectMany(p => p.Items).Select(h => h.MachineId).Distinct().Count());
    }

    [Theory]
    [InlineData("/v1/hosts?limit=0", HttpStatusCode.BadRequest, "page-invalid")]
    [InlineData("/v1/hosts?after=zz", HttpStatusCode.BadRequest, "page-invalid")]
    [InlineData("/v1/hosts?kernel=xyz", HttpStatusCode.BadRequest, "build-id-invalid")]
    [InlineData("/v1/hosts?channel=..%2Fetc", HttpStatusCode.NotFound, "unknown-channel")]
    [InlineData("/v1/hosts?state=broken", HttpStatusCode.BadRequest, "host-state-invalid")]
    [InlineData("/v1/hosts/ABC", HttpStatusCode.BadRequest, "machine-id-invalid")]
    [InlineData("/v1/hosts/0000000000000000000000000000000000000000000000000000000000000000", HttpStatusCode.NotFound, "host-not-found")]
    [InlineData("/v1/cves/CVE-24-1", HttpStatusCode.BadRequest, "cve-invalid")]
    [InlineData("/v1/patches/999/health", HttpStatusCode.NotFound, "patch-not-found")]
    public async Task Questions_BadInput_ProblemWithCode(string path, HttpStatusCode status, string code)
    {
        using var viewer = await _server.ClientWithRoleAsync(RepositoryRoles.Viewer);

        await PublishTests.AssertProblemAsync(await viewer.GetAsync(path), status, code);
    }

    [Fact]
    public async Task Host_Detail_HasItsHistoryNewestFirst()
    {
        var (level1, level2) = await PublishTwoLevelsAsync();
        using var admin = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);
        await FleetServer.PostOkAsync(admin, FleetServer.Report("a", applied: [level1]));
        _server.Advance(TimeSpan.FromHours(1));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("a", applied: [level2]));

        var detail = (await admin.GetFromJsonAsync<HostDetail>($"/v1/hosts/{FleetServer.MachineId("a")}"))!;

        Assert.Equal("patched", detail.Host.State);
        Assert.Equal([2, 1], detail.History.Select(h => h.Applied.Single().Level));
        Assert.Equal(TimeSpan.FromHours(1), detail.History[0].Received - detail.History[1].Received);
        Assert.Equal(detail.History[1].Received, detail.Host.FirstSeen);
    }

    [Fact]
    public async Task Cve_Exposure_CountsFixedAndEachReasonForExposed()
    {
        var level1 = await _server.PublishAsync(FleetServer.Rsa, Fixtures.BuildId, ("cve", "CVE-2024-1086"));
        var level2 = await _server.PublishAsync(FleetServer.Ecdsa, Fixtures.BuildId, ("cve", "CVE-2025-0001"));
        using var admin = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);
        await FleetServer.PostOkAsync(admin, FleetServer.Report("fixed", applied: [level1]));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("fixed-later", applied: [level2]));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("not-applied"));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("no-fix", Fixtures.OtherBuildId));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("other-channel", channel: "beta"));

        var exposure = (await admin.GetFromJsonAsync<CveExposure>("/v1/cves/CVE-2024-1086"))!;

        Assert.Equal(new CveHostCounts(Total: 5, Fixed: 2, Exposed: 3, NoFix: 1, FixNotInChannel: 1, NotApplied: 1), exposure.Hosts);
        var kernel = Assert.Single(exposure.Kernels);
        Assert.Equal((Fixtures.BuildId, level1.Id, 1), (kernel.BuildId, kernel.Patches.Single().Id, kernel.Patches.Single().Level));
        Assert.Equal(["host-fixed", "host-fixed-later"], exposure.Fixed.Select(h => h.Hostname).Order());
        Assert.Equal(
            [("host-no-fix", "no-fix"), ("host-not-applied", "not-applied"), ("host-other-channel", "fix-not-in-channel")],
            exposure.Exposed.Select(h => (h.Hostname!, h.Status)).Order());
    }

    [Fact]
    public async Task Cve_FixRevoked_HostsOnThatKernelExposed()
    {
        var level1 = await _server.PublishAsync(FleetServer.Rsa, Fixtures.BuildId, ("cve", "CVE-2024-1086"));
        await _server.RevokeAsync(level1.Id);
        using var admin = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);
        await FleetServer.PostOkAsync(admin, FleetServer.Report("a", applied: [level1]));

        var exposure = (await admin.GetFromJsonAsync<CveExposure>("/v1/cves/CVE-2024-1086"))!;

        Assert.Empty(exposure.Kernels);
        Assert.Equal("no-fix", exposure.Exposed.Single().Status);
    }

    [Fact]
    public async Task PatchHealth_CountsAppliedFailedAndRemoved()
    {
        var (level1, level2) = await PublishTwoLevelsAsync();
        using var admin = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);
        await FleetServer.PostOkAsync(admin, FleetServer.Report("moved-on", applied: [level1]));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("runs-1", applied: [level1]));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("failed-2", applied: [level1]) with { Outcome = FleetServer.LoaderFailed(level2) });
        _server.Advance(TimeSpan.FromHours(1));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("moved-on", applied: [level2]));

        var one = (await admin.GetFromJsonAsync<PatchHealth>($"/v1/patches/{level1.Id}/health"))!;
        var two = (await admin.GetFromJsonAsync<PatchHealth>($"/v1/patches/{level2.Id}/health"))!;

        Assert.Equal((2, 0, 1), (one.Applied, one.Failed, one.Removed));
        Assert.Equal((1, 1, 0), (two.Applied, two.Failed, two.Removed));
        Assert.Equal(("host-failed-2", "insmod-failed"), (two.FailedHosts.Single().Hostname, two.FailedHosts.Single().Code));
    }

    private async Task<(PatchInfo Level1, PatchInfo Level2)> PublishTwoLevelsAsync() =>
        (await _server.PublishAsync(FleetServer.Rsa), await _server.PublishAsync(FleetServer.Ecdsa));
}
