using System.Net;
using System.Text.RegularExpressions;
using LivePatch.Core.Repository;
using LivePatch.Server.Hosts;
using LivePatch.Server.Tests.Hosts;
using LivePatch.Server.Ui;
using LivePatch.Server.Ui.Pages;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests.Ui;

/// <summary>The dashboard's fleet pages (summary, hosts, a host, CVE exposure, patch health) over reports that hosts posted
/// through the real API with a reporter key, read by an operator holding a viewer key.</summary>
public sealed partial class FleetPagesTests : IDisposable
{
    private const string NotCoveredBuildId = "1234567890abcdef1234567890abcdef12345678";

    private readonly RepositoryFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Summary_ReportingHosts_CountsPerStateEachALinkToTheFilteredHosts()
    {
        await ReportThreeHostsAsync();
        using var browser = await ViewerAsync();

        var summary = await browser.Http.GetStringAsync("/ui");

        Assert.Matches(@"<dt>Reporting</dt>\s*<dd><a href=""/ui/hosts"">3</a></dd>", summary);
        Assert.Matches(StateCount("patched", 1), summary);
        Assert.Matches(StateCount("behind", 1), summary);
        Assert.Matches(StateCount("not-covered", 1), summary);
        Assert.Matches(StateCount("revoked-still-loaded", 0), summary);
        Assert.Matches(@"<dt>Covered</dt>\s*<dd>2 <span class=""muted"">\(66.7 %", summary);
        Assert.Matches(@"<dt>Not covered</dt>\s*<dd>1</dd>", summary);
        Assert.Matches(@"<dt>Kernel builds</dt>\s*<dd>2</dd>", summary);
        Assert.Matches(@"<dt>Stale</dt>\s*<dd>0 ", summary);
    }

    [Fact]
    public async Task Hosts_FilterByStateKernelAndChannel_OnlyMatchingHostsWithTheirColumns()
    {
        var (level1, _) = await ReportThreeHostsAsync();
        using var browser = await ViewerAsync();

        var all = await browser.Http.GetStringAsync("/ui/hosts");
        var behind = await browser.Http.GetStringAsync("/ui/hosts?state=behind");
        var kernel = await browser.Http.GetStringAsync($"/ui/hosts?kernel={NotCoveredBuildId}&channel=stable&state=");
        var beta = await browser.Http.GetStringAsync("/ui/hosts?channel=beta");

        Assert.Equal(["host-behind", "host-not-covered", "host-patched"], HostLinks().Matches(all).Select(m => m.Groups[2].Value).Order());
        var row = Assert.Single(HostLinks().Matches(behind));
        Assert.Equal(FleetServer.MachineId("behind"), row.Groups[1].Value);
        Assert.Contains("6.1.0-56-amd64", behind);
        Assert.Contains(Fixtures.BuildId, behind);
        Assert.Contains($"<span class=\"mono\">{level1.Name}</span><span> level 1</span>", behind);
        Assert.Contains("<span class=\"mono revoked\">insmod-failed</span>", behind); // its last outcome's code
        Assert.Contains("<option value=\"behind\" selected=\"selected\">", behind); // the form shows the filter it applied
        Assert.Equal(["host-not-covered"], HostLinks().Matches(kernel).Select(m => m.Groups[2].Value));
        Assert.Contains("No host matches.", beta);
    }

    [Fact]
    public async Task Hosts_MoreThanAPage_NextPageFollowsTheCursorWithTheFilter()
    {
        using var reporter = await ReporterAsync();
        var seeds = Enumerable.Range(0, DashboardText.PageSize + 1).Select(i => $"h{i}").ToList();
        foreach (var seed in seeds)
        {
            await FleetServer.PostOkAsync(reporter, FleetServer.Report(seed));
        }

        using var browser = await ViewerAsync();

        var first = await browser.Http.GetStringAsync("/ui/hosts?state=not-covered");
        var next = WebUtility.HtmlDecode(NextLink().Match(first).Groups[1].Value);
        var second = await browser.Http.GetStringAsync(next);

        var ids = seeds.Select(FleetServer.MachineId).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(DashboardText.PageSize, HostLinks().Matches(first).Count);
        Assert.Equal($"/ui/hosts?state=not-covered&after={ids[DashboardText.PageSize - 1]}", next);
        Assert.Equal(ids[^1], Assert.Single(HostLinks().Matches(second)).Groups[1].Value);
        Assert.DoesNotMatch(NextLink(), second);
    }

    [Fact]
    public async Task Host_Detail_LastReportStatesAndHistoryNewestFirst()
    {
        var (level1, level2) = await PublishTwoLevelsAsync();
        using var reporter = await ReporterAsync();
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("a", applied: [level1]));
        _factory.Time.Advance(TimeSpan.FromHours(1));
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("a", applied: [level1]) with
        {
            Holds = [level2.Name], Outcome = FleetServer.LoaderFailed(level2), UptimeSeconds = 3 * 86400,
        });
        using var browser = await ViewerAsync();

        var html = await browser.Http.GetStringAsync($"/ui/host/{FleetServer.MachineId("a")}");

        Assert.Contains("<h1>Host host-a</h1>", html);
        Assert.Matches(@"<dt>States</dt>\s*<dd>\s*<span class=""revoked"">apply-failed</span>\s*<span class=""warning"">held</span>\s*<span class=""warning"">behind</span>", html);
        Assert.Contains(FleetServer.MachineId("a"), html);
        Assert.Contains($"href=\"/ui/kernel/{Fixtures.BuildId}\"", html);
        Assert.Contains($"href=\"/ui/patch/{level1.Id}\"", html);
        Assert.Contains("insmod-failed", html);
        Assert.Contains("insmod: Key was rejected by service", html);
        Assert.Contains($"lp_sample level 2 {level2.Sha256}", html); // the target that failed
        Assert.Contains("<dd>3 days</dd>", html);
        Assert.Contains("API key <span class=\"mono\">test-reporter</span>", html);
        Assert.Contains("Recent reports (2, newest first)", html);
        var runs = Regex.Matches(html, @"<td class=""mono"">apply: (\w+)</td>").Select(m => m.Groups[1].Value);
        Assert.Equal(["failed", "none"], runs);
    }

    [Theory]
    [InlineData("/ui/host/ABC", HttpStatusCode.BadRequest, "A machine id is 64 lowercase hex digits")]
    [InlineData("/ui/host/0000000000000000000000000000000000000000000000000000000000000000", HttpStatusCode.NotFound, "No host with that machine id has reported")]
    [InlineData("/ui/hosts?state=broken", HttpStatusCode.BadRequest, "The state must be one of")]
    [InlineData("/ui/hosts?kernel=xyz", HttpStatusCode.BadRequest, "The kernel filter must be a build ID")]
    [InlineData("/ui/hosts?after=zz", HttpStatusCode.BadRequest, "'after' must be a machine id")]
    [InlineData("/ui/cve?id=CVE-24-1", HttpStatusCode.BadRequest, "Not a CVE id like CVE-2024-1086")]
    [InlineData("/ui/cve?id=CVE-2024-1086%3Cscript%3E", HttpStatusCode.BadRequest, "Not a CVE id like CVE-2024-1086")]
    public async Task FleetPages_BadInput_StatusAndMessageOnThePage(string path, HttpStatusCode status, string message)
    {
        using var browser = await ViewerAsync();

        using var response = await browser.Http.GetAsync(path);

        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith(message, DashboardBrowser.AlertOf(html));
        Assert.DoesNotContain("<table>", html); // nothing answered beside the message
    }

    [Fact]
    public async Task Cve_TooLongId_CutInTheFormAndRefused()
    {
        using var browser = await ViewerAsync();

        using var response = await browser.Http.GetAsync("/ui/cve?id=" + new string('9', 10_000));

        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"value=\"{new string('9', CveModel.MaxIdLength)}\"", html);
        Assert.DoesNotContain(new string('9', CveModel.MaxIdLength + 1), html);
    }

    [Fact]
    public async Task Cve_Search_CountsKernelsWithTheirPatchesAndExposedHosts()
    {
        var fix = await PublishAsync(FleetServer.Rsa, ("buildId", Fixtures.BuildId), ("cve", "CVE-2024-1086"));
        using var reporter = await ReporterAsync();
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("fixed", applied: [fix]));
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("not-applied"));
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("no-fix", Fixtures.OtherBuildId));
        using var browser = await ViewerAsync();

        var empty = await browser.Http.GetStringAsync("/ui/cve");
        var html = await browser.Http.GetStringAsync("/ui/cve?id=+cve-2024-1086+");

        Assert.Contains("<form method=\"get\" class=\"filters\" action=\"/ui/cve\">", empty);
        Assert.Null(DashboardBrowser.AlertOf(empty));
        Assert.Contains("<h2>CVE-2024-1086: 1 of 3 reporting hosts fixed, 2 exposed</h2>", html);
        Assert.Matches(@"<dt>no fix for their kernel</dt>\s*<dd>1</dd>", html);
        Assert.Matches(@"<dt>fix not applied</dt>\s*<dd>1</dd>", html);
        Assert.Contains($"href=\"/ui/kernel/{Fixtures.BuildId}\"", html);
        Assert.Contains($"href=\"/ui/patch/{fix.Id}\"", html);
        Assert.Equal(["host-no-fix", "host-not-applied"], HostLinks().Matches(html).Select(m => m.Groups[2].Value).Order());
        Assert.Contains("value=\"CVE-2024-1086\"", html); // the id as it was searched for
    }

    [Fact]
    public async Task Patch_Detail_ShowsItsHealthOnTheReportingHosts()
    {
        var (level1, level2) = await PublishTwoLevelsAsync();
        using var reporter = await ReporterAsync();
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("runs-2", applied: [level2]));
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("failed-2", applied: [level1]) with { Outcome = FleetServer.LoaderFailed(level2) });
        using var browser = await ViewerAsync();

        var html = await browser.Http.GetStringAsync($"/ui/patch/{level2.Id}");

        Assert.Matches(@"<dt>Applied</dt>\s*<dd>1 ", html);
        Assert.Matches(@"<dt>Failed to apply</dt>\s*<dd class=""revoked"">1 ", html);
        Assert.Matches(@"<dt>Removed</dt>\s*<dd>0 ", html);
        Assert.Equal([(FleetServer.MachineId("failed-2"), "host-failed-2")], HostLinks().Matches(html).Select(m => (m.Groups[1].Value, m.Groups[2].Value)));
    }

    /// <summary>A host picks its own name and message: the report's rules refuse markup in a name, and should one be stored anyway
    /// (an older server, a bug in those rules) every page still shows it as text.</summary>
    [Fact]
    public async Task FleetPages_HostileHostnameAndReportFields_RenderedInert()
    {
        const string Hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        await PublishAsync(FleetServer.Rsa, ("buildId", Fixtures.BuildId), ("cve", "CVE-2024-1086"));
        using var reporter = await ReporterAsync();
        await PublishTests.AssertProblemAsync(
            await FleetServer.PostAsync(reporter, FleetServer.Report("refused") with { Hostname = Hostile }), HttpStatusCode.BadRequest, "report-invalid");
        var hostile = FleetServer.Report("hostile") with
        {
            Kernel = new ReportedKernel(Fixtures.BuildId, "<svg/onload=alert(3)>"),
            Outcome = new ReportedOutcome { Command = "apply", Action = "failed", Code = "x", ExitCode = 1, Message = Hostile },
        };
        await FleetServer.PostOkAsync(reporter, hostile);
        StoreWithoutTheReportRules(hostile with { Hostname = Hostile, MachineId = FleetServer.MachineId("stored") });
        using var browser = await ViewerAsync();

        var pages = new[]
        {
            await browser.Http.GetStringAsync("/ui/hosts"),
            await browser.Http.GetStringAsync($"/ui/host/{FleetServer.MachineId("hostile")}"),
            await browser.Http.GetStringAsync($"/ui/host/{FleetServer.MachineId("stored")}"),
            await browser.Http.GetStringAsync("/ui/cve?id=CVE-2024-1086"),
        };

        Assert.Null(_factory.Services.GetRequiredService<HostStore>().FactsOrNull(FleetServer.MachineId("refused")));
        foreach (var html in pages)
        {
            Assert.DoesNotContain("<script>", html);
            Assert.DoesNotContain("<img", html);
            Assert.DoesNotContain("<svg", html);
        }

        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;", pages[0]); // the stored name
        Assert.Contains("&lt;svg/onload=alert(3)&gt;", pages[1]);
        Assert.Contains("<h1>Host &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;</h1>", pages[2]);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", pages[3]);
    }

    [Theory]
    [InlineData("/ui")]
    [InlineData("/ui/hosts")]
    [InlineData("/ui/cve?id=CVE-2024-1086")]
    [InlineData("/ui/patch/1")]
    public async Task FleetPages_ViewerKey_Opens(string path)
    {
        await ReportThreeHostsAsync();
        using var browser = await ViewerAsync();

        using var response = await browser.Http.GetAsync(path);
        using var host = await browser.Http.GetAsync($"/ui/host/{FleetServer.MachineId("patched")}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, host.StatusCode);
        Assert.Contains("test-viewer (viewer)", await response.Content.ReadAsStringAsync());
    }

    /// <summary>Three hosts on the fixture kernel and another: one patched (level 2), one behind (level 1, its apply of level 2
    /// failed with a code but not in the loader), one whose kernel has no patch.</summary>
    private async Task<(PatchInfo Level1, PatchInfo Level2)> ReportThreeHostsAsync()
    {
        var (level1, level2) = await PublishTwoLevelsAsync();
        using var reporter = await ReporterAsync();
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("patched", applied: [level2]));
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("behind", applied: [level1]) with
        {
            Outcome = FleetServer.LoaderFailed(level2) with { ExitCode = 3 },
        });
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("not-covered", NotCoveredBuildId));
        return (level1, level2);
    }

    private void StoreWithoutTheReportRules(HostReport report)
    {
        var store = _factory.Services.GetRequiredService<HostStore>();
        var received = _factory.Time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (store.Gate)
        {
            store.Save(new HostDocument { Id = report.MachineId, FirstSeenMs = received, Last = HostReportData.From(report, received, "test", null) }, 50);
        }
    }

    private async Task<(PatchInfo Level1, PatchInfo Level2)> PublishTwoLevelsAsync() =>
        (await PublishAsync(FleetServer.Rsa, ("buildId", Fixtures.BuildId)), await PublishAsync(FleetServer.Ecdsa, ("buildId", Fixtures.BuildId)));

    private async Task<PatchInfo> PublishAsync(string fixture, params (string Key, string Value)[] fields)
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);
        using var response = await admin.PostAsync("/v1/patches", Fixtures.Upload(fixture, fields));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
    }

    private async Task<HttpClient> ReporterAsync() => _factory.CreateClient(await _factory.CreateKeyAsync(RepositoryRoles.Reporter));

    private async Task<DashboardBrowser> ViewerAsync()
    {
        var browser = new DashboardBrowser(_factory);
        await browser.SignInAsync(await _factory.CreateKeyAsync(RepositoryRoles.Viewer));
        return browser;
    }

    private static Regex StateCount(string state, int count) =>
        new($@"<dt>\s*<span[^>]*>{state}</span>\s*</dt>\s*<dd><a href=""/ui/hosts\?state={state}"">{count}</a></dd>");

    [GeneratedRegex("<a href=\"/ui/host/([0-9a-f]{64})\"[^>]*>([^<]*)</a>")]
    private static partial Regex HostLinks();

    [GeneratedRegex("<a rel=\"next\" href=\"([^\"]+)\">")]
    private static partial Regex NextLink();
}
