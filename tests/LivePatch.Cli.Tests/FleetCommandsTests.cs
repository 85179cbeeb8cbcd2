using System.Text.Json;
using LivePatch.Cli.Commands;
using LivePatch.Core.Repository;

namespace LivePatch.Cli.Tests;

/// <summary><c>lpatch hosts</c> and <c>lpatch cve</c> against a stand-in server: what they ask, what they print, how they fail.</summary>
public sealed class FleetCommandsTests : IAsyncLifetime
{
    private const string ViewerKey = "lpk_viewer_secret";
    private static readonly string MachineA = new('a', 64);
    private static readonly string MachineB = new('b', 64);

    private FakeRepository _server = null!;

    public async Task InitializeAsync() => _server = await FakeRepository.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void HostsList_TwoPages_TableThenCountsPerState()
    {
        _server.Reply(200, Page(MachineA, Host(MachineA, "behind", "web-01"))).Reply(200, Page(null, Host(MachineB, "patched", "web-02")));

        var run = Run("hosts", "list", "--state", "behind", "--kernel", Canned.BuildId.ToUpperInvariant(), "--channel", "stable");

        Assert.Equal(0, run.Exit);
        var lines = run.Output.TrimEnd().Split('\n');
        Assert.StartsWith("MACHINE-ID", lines[0], StringComparison.Ordinal);
        Assert.Contains("web-01", lines[1], StringComparison.Ordinal);
        Assert.Contains("behind", lines[1], StringComparison.Ordinal);
        Assert.Equal("2 hosts: 1 behind, 1 patched", lines[^1]);
        Assert.Equal($"?kernel={Canned.BuildId}&channel=stable&state=behind&limit=1000", _server.Requests[0].Query);
        Assert.Equal($"?kernel={Canned.BuildId}&channel=stable&state=behind&after={MachineA}&limit=1000", _server.Requests[1].Query);
        Assert.Equal($"Bearer {ViewerKey}", _server.Requests[0].Authorization);
    }

    [Fact]
    public void HostsList_Json_OneFlatArrayOfHosts()
    {
        _server.Reply(200, Page(null, Host(MachineA, "behind", "web-01")));

        var run = Run("hosts", "list", "--json");

        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(MachineA, json.RootElement.EnumerateArray().Single().GetProperty("machineId").GetString());
    }

    [Fact]
    public void HostsList_UnknownState_UsageErrorNothingSent()
    {
        var run = Run("hosts", "list", "--state", "broken");

        Assert.Equal(2, run.Exit);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void HostsShow_HostWithHistory_KeyValueLinesAndHistoryTable()
    {
        var host = Host(MachineA, "apply-failed", "web-\u001b[2J01");
        _server.Reply(200, JsonSerializer.Serialize(new HostDetail
        {
            Host = host,
            History = [new HostHistoryEntry { Received = host.LastSeen, Reported = host.Reported, Kernel = host.Kernel, Outcome = host.Outcome }],
        }, RepositoryJsonContext.Default.HostDetail));

        var run = Run("hosts", "show", MachineA.ToUpperInvariant());

        Assert.Equal(0, run.Exit);
        Assert.Equal($"/v1/hosts/{MachineA}", _server.Requests.Single().Path);
        Assert.Equal("apply-failed (also behind)", run.Field("state"));
        Assert.Equal("web-\\x1b[2J01", run.Field("hostname"));
        Assert.Contains("apply failed [insmod-failed], exit 4, target lp_sample level 2", run.Field("last run"), StringComparison.Ordinal);
        Assert.Contains("history (1, newest first):", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("../../v1/api-keys")]
    public void HostsShow_NotAMachineId_UsageErrorNothingSent(string id)
    {
        var run = Run("hosts", "show", id);

        Assert.Equal(2, run.Exit);
        Assert.Contains("is not a machine id", run.Error, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void Cve_Exposure_SummaryLineAndTables()
    {
        _server.Reply(200, JsonSerializer.Serialize(Exposure(), RepositoryJsonContext.Default.CveExposure));

        var run = Run("cve", "cve-2024-1086");

        Assert.Equal(0, run.Exit);
        Assert.Equal("/v1/cves/CVE-2024-1086", _server.Requests.Single().Path);
        var lines = run.Output.Split('\n');
        Assert.Equal("CVE-2024-1086: 1 of 2 reporting host(s) fixed, 1 exposed (0 no fix for their kernel, 0 fix not in their channel, 1 fix not applied)", lines[0]);
        Assert.Contains(lines, l => l.Contains("lp_sample level 1 (id 7, stable)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith(MachineB, StringComparison.Ordinal) && l.EndsWith("not-applied", StringComparison.Ordinal));
    }

    [Fact]
    public void Cve_Json_TheServersRecord()
    {
        _server.Reply(200, JsonSerializer.Serialize(Exposure(), RepositoryJsonContext.Default.CveExposure));

        using var json = JsonDocument.Parse(Run("cve", "CVE-2024-1086", "--json").Output);

        Assert.Equal(1, json.RootElement.GetProperty("hosts").GetProperty("exposed").GetInt32());
    }

    [Fact]
    public void Cve_NotACveId_UsageErrorNothingSent()
    {
        var run = Run("cve", "CVE-2024-1086/../../api-keys");

        Assert.Equal(2, run.Exit);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void HostsList_ReporterKey_Forbidden_ExitTwoWithHint()
    {
        _server.Problem(403, "forbidden", "This API key's role may not do this.");

        var run = Run("hosts", "list");

        Assert.Equal(2, run.Exit);
        Assert.Contains("lpatch: error [forbidden]", run.Error, StringComparison.Ordinal);
        Assert.Contains("hosts and cve need viewer", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void HostsSummary_EveryStateWithItsCount()
    {
        _server.Reply(200, JsonSerializer.Serialize(new FleetSummary
        {
            Hosts = 3, Covered = 2, Coverage = 66.7, Stale = 1, Kernels = 2,
            States = HostStates.All.ToDictionary(s => s, s => s == "patched" ? 2 : s == "stale" ? 1 : 0),
        }, RepositoryJsonContext.Default.FleetSummary));

        var run = Run("hosts", "summary");

        Assert.Equal(0, run.Exit);
        Assert.Equal(("2", "0", "3 on 2 kernel build(s)"), (run.Field("patched"), run.Field("behind"), run.Field("hosts")));
        Assert.StartsWith("2 (66.7%)", run.Field("covered"), StringComparison.Ordinal);
    }

    private CliRun Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var repository = new RepositoryEnvironment
        {
            GetVariable = name => name switch
            {
                RepositoryEnvironment.ServerVariable => _server.Url.ToString(),
                RepositoryEnvironment.ApiKeyVariable => ViewerKey,
                _ => null,
            },
            RetryDelay = TimeSpan.FromMilliseconds(10),
        };
        var exit = LpatchCommand.Run(args, output, error, repository);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    private static string Page(string? next, params HostInfo[] hosts) =>
        JsonSerializer.Serialize(new ListPage<HostInfo> { Items = hosts, Next = next }, RepositoryJsonContext.Default.ListPageHostInfo);

    private static HostInfo Host(string machineId, string state, string hostname) => new()
    {
        MachineId = machineId,
        Hostname = hostname,
        State = state,
        States = state == "apply-failed" ? [state, "behind"] : [state],
        Kernel = new ReportedKernel(Canned.BuildId, "6.1.0-28-amd64"),
        Channel = "stable",
        Applied = [new HostPatch { Name = "lp_sample", Level = 1, Sha256 = new string('c', 64), PatchId = 7 }],
        AvailableLevel = 2,
        Outcome = new ReportedOutcome
        {
            Command = "apply", Action = "failed", Code = "insmod-failed", ExitCode = 4, Target = new ReportedTarget("lp_sample", 2, new string('d', 64)),
        },
        Reported = TestPki.Now,
        LastSeen = TestPki.Now,
        FirstSeen = TestPki.Now.AddDays(-3),
        ClientVersion = "1.0.0",
    };

    private static CveExposure Exposure() => new()
    {
        Cve = "CVE-2024-1086",
        KernelCount = 1,
        Kernels = [new CveKernel(Canned.BuildId, "6.1.0-28-amd64", [new CvePatch(7, "lp_sample", 1, ["stable"])])],
        Hosts = new CveHostCounts(Total: 2, Fixed: 1, Exposed: 1, NoFix: 0, FixNotInChannel: 0, NotApplied: 1),
        Exposed = [new CveHost { MachineId = MachineB, BuildId = Canned.BuildId, Release = "6.1.0-28-amd64", Channel = "stable", Status = "not-applied", FixLevel = 1 }],
        Fixed = [new CveHost { MachineId = MachineA, BuildId = Canned.BuildId, Release = "6.1.0-28-amd64", Channel = "stable", Status = "fixed", Level = 1, FixLevel = 1 }],
    };
}
