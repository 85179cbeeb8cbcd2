using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LivePatch.Cli.Tests;

/// <summary>The report lpatch sends after a run: what it holds, and that no failure to report (server down, 401, 429, an unsafe
/// key file, no machine id) changes the run's output or exit code. The repository the host updates from is down (exit 3), so
/// every run fails the same way and only the report differs.</summary>
public sealed class HostReportCommandTests : IAsyncLifetime
{
    private const string MachineId = "0123456789abcdef0123456789abcdef";
    private const string Key = "lpk_0123456789ab_reporter-secret";

    private readonly HostSandbox _host = new() { Clock = TestPki.Clock() };
    private FakeRepository _reports = null!;

    public async Task InitializeAsync()
    {
        _reports = await FakeRepository.StartAsync();
        File.WriteAllText(_host.File("machine-id"), MachineId + "\n");
        File.WriteAllText(_host.File("reporter-key"), Key + "\n");
        File.SetUnixFileMode(_host.File("reporter-key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        ReportTo(_reports.Url.ToString());
    }

    public async Task DisposeAsync()
    {
        await _reports.DisposeAsync();
        _host.Dispose();
    }

    [Fact]
    public void Apply_ReportsOn_SendsOneReportWithTheHashedIdAndTheRunsOutcome()
    {
        _reports.Reply(204);

        var run = _host.Run("apply");

        Assert.Equal(3, run.Exit);
        Assert.DoesNotContain("warning", run.Error, StringComparison.Ordinal);
        var request = Assert.Single(_reports.Requests);
        Assert.Equal(("POST", "/v1/reports", $"Bearer {Key}"), (request.Method, request.Path, request.Authorization));
        using var body = JsonDocument.Parse(request.Body);
        var report = body.RootElement;
        Assert.Equal(Hash(_reports.Url.ToString()), report.GetProperty("machineId").GetString());
        Assert.DoesNotContain(MachineId, request.Body, StringComparison.Ordinal);
        Assert.Equal((HostSandbox.BuildId, "6.1.0-test-amd64"), (report.GetProperty("kernel").GetProperty("buildId").GetString(),
            report.GetProperty("kernel").GetProperty("release").GetString()));
        var outcome = report.GetProperty("outcome");
        Assert.Equal(("apply", "failed", "repository-unreachable", 3), (outcome.GetProperty("command").GetString(), outcome.GetProperty("action").GetString(),
            outcome.GetProperty("code").GetString(), outcome.GetProperty("exitCode").GetInt32()));
        Assert.Equal(12345, report.GetProperty("uptimeSeconds").GetInt64());
        Assert.Equal(TestPki.Now, report.GetProperty("time").GetDateTimeOffset());
        Assert.StartsWith("report:       sent 2026-03-01 12:00:00Z after apply", _host.Run("status").Output.Split('\n').Single(l => l.StartsWith("report:", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_HostnameOff_ReportHasNoHostname()
    {
        ((JsonObject)_host.Config["report"]!)["hostname"] = false;
        _host.WriteConfig();
        _reports.Reply(204);

        _host.Run("apply");

        Assert.DoesNotContain("hostname", Assert.Single(_reports.Requests).Body, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckAndBoot_ReportsOn_EachReportsItsCommand()
    {
        _reports.Reply(204).Reply(204);

        var check = _host.Run("check");
        var boot = _host.Run("apply", "--boot", "--json");

        Assert.Equal((3, 0), (check.Exit, boot.Exit));
        Assert.Equal("boot-nothing-to-do", JsonDocument.Parse(boot.Output).RootElement.GetProperty("action").GetString());
        Assert.Equal(["check", "boot"], _reports.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("outcome").GetProperty("command").GetString()));
    }

    [Fact]
    public void DryRun_ReportsOn_NothingSent()
    {
        _host.Run("apply", "--dry-run");

        Assert.Empty(_reports.Requests);
    }

    [Fact]
    public void Apply_ReportsOff_NothingSentAndStatusSaysOff()
    {
        _host.Config.Remove("report");
        _host.WriteConfig();

        var run = _host.Run("apply");

        Assert.Equal(3, run.Exit);
        Assert.Empty(_reports.Requests);
        Assert.Equal("off", _host.Run("status").Field("report"));
    }

    [Theory]
    [InlineData(401, "unauthenticated")]
    [InlineData(429, "report-rate-limited")]
    [InlineData(500, "internal-error")]
    public void Apply_ReportRefused_SameExitAndOutputOneWarningAndNoRetry(int status, string code)
    {
        _host.Config.Remove("report");
        _host.WriteConfig();
        var quiet = _host.Run("apply", "--json");
        ReportTo(_reports.Url.ToString());
        _reports.Problem(status, code, "Refused.").Problem(status, code, "Refused.");

        var run = _host.Run("apply", "--json");

        Assert.Equal(quiet.Exit, run.Exit);
        Assert.Equal(Without(quiet.Output), Without(run.Output));
        Assert.Single(_reports.Requests);
        var warning = Assert.Single(run.Error.Split('\n'), l => l.Contains("warning", StringComparison.Ordinal));
        Assert.StartsWith("lpatch: warning [report-failed]: could not report to ", warning, StringComparison.Ordinal);
        Assert.Contains($"[{code}]", warning, StringComparison.Ordinal);
        Assert.Contains("[report-failed]", _host.Run("status").Field("report"), StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_ReportServerDown_SameExitAndOneWarning()
    {
        ReportTo($"http://127.0.0.1:{LoopbackPorts.Free()}/");

        var run = _host.Run("apply");

        Assert.Equal(3, run.Exit);
        Assert.True(run.Error.Split('\n').Count(l => l.StartsWith("lpatch: warning [report-failed]: could not report to", StringComparison.Ordinal)) == 1, run.Error);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite)]
    public void Apply_TokenFileOthersMayReadOrWrite_NotSentSameExitAndWarning(UnixFileMode mode)
    {
        File.SetUnixFileMode(_host.File("reporter-key"), mode);

        var run = _host.Run("apply");

        Assert.Equal(3, run.Exit);
        Assert.Empty(_reports.Requests);
        Assert.Contains("lpatch: warning [report-token-invalid]: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("chmod 600", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_MachineIdMissing_NotSentSameExitAndWarning()
    {
        File.Delete(_host.File("machine-id"));

        var run = _host.Run("apply");

        Assert.Equal(3, run.Exit);
        Assert.Empty(_reports.Requests);
        Assert.Contains("lpatch: warning [report-machine-id-invalid]: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("skipped", _host.Run("status").Field("report"), StringComparison.Ordinal);
    }

    [Fact]
    public void Status_ReportJson_HasTheLastReport()
    {
        _reports.Reply(204);
        _host.Run("apply");

        using var status = JsonDocument.Parse(_host.Run("status", "--json").Output);

        var report = status.RootElement.GetProperty("report");
        Assert.Equal(("sent", Hash(_reports.Url.ToString())), (report.GetProperty("outcome").GetString(), report.GetProperty("machineId").GetString()));
    }

    private void ReportTo(string url)
    {
        _host.Config["report"] = new JsonObject
        {
            ["url"] = url,
            ["tokenFile"] = _host.File("reporter-key"),
            ["machineIdPath"] = _host.File("machine-id"),
            ["timeout"] = "00:00:05",
        };
        _host.WriteConfig();
    }

    /// <summary>The id lpatch should derive: docs/reports.md's recipe, computed here independently.</summary>
    private static string Hash(string url) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"lpatch host report machine id v1\0{url}\0{MachineId}")));

    /// <summary>A run's JSON without the message, which names a time-dependent connection failure.</summary>
    private static string Without(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        node.Remove("message");
        node.Remove("attempts");
        node.Remove("failure");
        return node.ToJsonString();
    }
}
