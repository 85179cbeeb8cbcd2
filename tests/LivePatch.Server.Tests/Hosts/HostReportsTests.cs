using System.Net;
using System.Text;
using LivePatch.Core.Repository;
using LivePatch.Server.Hosts;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests.Hosts;

/// <summary><c>POST /v1/reports</c> on a real Kestrel and LiteDB file: what is stored, and every refusal leaving nothing stored.</summary>
public sealed class HostReportsTests : IDisposable
{
    private readonly FleetServer _server = new(new()
    {
        ["LivePatch:Reports:History"] = "3",
        ["LivePatch:Reports:MinInterval"] = "00:00:30",
        ["LivePatch:Reports:NewHostsPerKeyPerMinute"] = "3",
        ["LivePatch:Reports:MaxHosts"] = "5",
    });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Report_Valid_204AndStoredWithKeyAndAddress()
    {
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);
        var report = FleetServer.Report("a");

        await FleetServer.PostOkAsync(reporter, report);

        var host = _server.Store.DocumentOrNull(report.MachineId)!;
        Assert.Equal(("host-a", Fixtures.BuildId, "stable", "none"), (host.Last.Hostname, host.Last.BuildId, host.Last.Channel, host.Last.Action));
        Assert.Equal(("test-reporter", "127.0.0.1"), (host.Last.Reporter, host.Last.Address));
        Assert.Equal(_server.Repository.Time.GetUtcNow().ToUnixTimeMilliseconds(), host.Last.ReceivedMs);
        Assert.Single(_server.Store.History(report.MachineId, 10));
    }

    [Fact]
    public async Task Report_MoreThanHistoryBound_KeepsTheNewestOnly()
    {
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);
        for (var i = 0; i < 5; i++)
        {
            await FleetServer.PostOkAsync(reporter, FleetServer.Report("a") with { UptimeSeconds = i });
            _server.Advance(TimeSpan.FromMinutes(1));
        }

        var history = _server.Store.History(FleetServer.MachineId("a"), 100);

        Assert.Equal([4L, 3L, 2L], history.Select(r => r.UptimeSeconds!.Value));
    }

    [Fact]
    public async Task Report_BodyOverLimitWithLength_413AndNothingStored()
    {
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);
        var padded = FleetServer.Report("a") with { Outcome = FleetServer.Report("a").Outcome with { Message = new string('x', HostReportLimits.MaxBodyBytes) } };

        var response = await FleetServer.PostAsync(reporter, padded);

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "report-too-large");
        Assert.Equal(0, _server.Store.Count);
    }

    [Fact]
    public async Task Report_ChunkedBodyOverLimit_413AndNothingStored()
    {
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);
        var body = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"machineId\":\"" + new string('a', 200_000) + "\"}")));
        body.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/reports") { Content = body };
        request.Headers.TransferEncodingChunked = true;

        var response = await reporter.SendAsync(request);

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "report-too-large");
        Assert.Equal(0, _server.Store.Count);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { """{"schema":1}""", "not a report" },
        { "not json", "not a report" },
        { Json(r => r with { MachineId = "ABC" }), "machineId" },
        { Json(r => r with { MachineId = new string('A', 64) }), "machineId" },
        { Json(r => r with { Schema = 2 }), "schema" },
        { Json(r => r with { Hostname = "web 01" }), "hostname" },
        { Json(r => r with { Hostname = "web\u001b[2J" }), "hostname" },
        { Json(r => r with { Kernel = new ReportedKernel("../../etc/passwd", "6.1") }), "kernel.buildId" },
        { Json(r => r with { Kernel = new ReportedKernel(Fixtures.BuildId.ToUpperInvariant(), "6.1") }), "kernel.buildId" },
        { Json(r => r with { Kernel = new ReportedKernel(Fixtures.BuildId, new string('6', 65)) }), "kernel.release" },
        { Json(r => r with { Channel = "Stable!" }), "channel" },
        { Json(r => r with { Applied = [.. Enumerable.Repeat(Patch("CVE-2024-1086"), HostReportLimits.MaxApplied + 1)] }), "applied" },
        { Json(r => r with { Applied = [Patch("CVE-٢٠٢٤-١٠٨٦")] }), "applied[0].cves" },
        { Json(r => r with { Applied = [Patch() with { Name = "../lp" }] }), "applied[0].name" },
        { Json(r => r with { Applied = [Patch() with { Level = 0 }] }), "applied[0].level" },
        { Json(r => r with { Holds = ["a/b"] }), "holds" },
        { Json(r => r with { Quarantined = [new ReportedQuarantine(new string('a', 64), "lp", "Bad Reason")] }), "quarantined[0].reason" },
        { Json(r => r with { Outcome = r.Outcome with { Command = "rm" } }), "outcome.command" },
        { Json(r => r with { Outcome = r.Outcome with { Message = "line\nforged" } }), "outcome.message" },
        { Json(r => r with { Outcome = r.Outcome with { ExitCode = 256 } }), "outcome.exitCode" },
        { Json(r => r with { Outcome = r.Outcome with { Target = new ReportedTarget("lp", 1, "xyz") } }), "outcome.target.sha256" },
        { Json(r => r with { Time = new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero) }), "time" },
        { Json(r => r with { ClientVersion = "1.0 beta" }), "clientVersion" },
        { Json(r => r with { UptimeSeconds = -1 }), "uptimeSeconds" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Report_MalformedField_400NamingItAndNothingStored(string json, string field)
    {
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);

        var response = await reporter.PostAsync("/v1/reports", new StringContent(json, Encoding.UTF8, "application/json"));

        var body = await response.Content.ReadAsStringAsync();
        await PublishTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "report-invalid");
        Assert.Contains(field, body, StringComparison.Ordinal);
        Assert.Equal(0, _server.Store.Count);
    }

    [Fact]
    public async Task Report_SameHostWithinMinInterval_429WithRetryAfterAndNothingStored()
    {
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("a"));
        _server.Advance(TimeSpan.FromSeconds(10));

        var response = await FleetServer.PostAsync(reporter, FleetServer.Report("a") with { UptimeSeconds = 99 });

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.TooManyRequests, "report-rate-limited");
        Assert.Equal(TimeSpan.FromSeconds(20), response.Headers.RetryAfter?.Delta);
        Assert.Equal(3600, Assert.Single(_server.Store.History(FleetServer.MachineId("a"), 10)).UptimeSeconds);

        _server.Advance(TimeSpan.FromSeconds(20));
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("a") with { UptimeSeconds = 99 });
    }

    [Fact]
    public async Task Report_OneKeyAddingHostsFasterThanItsBound_429UntilTheMinuteIsOver()
    {
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);
        using var other = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);
        foreach (var seed in new[] { "a", "b", "c" })
        {
            await FleetServer.PostOkAsync(reporter, FleetServer.Report(seed));
        }

        var fourth = await FleetServer.PostAsync(reporter, FleetServer.Report("d"));

        await PublishTests.AssertProblemAsync(fourth, HttpStatusCode.TooManyRequests, "report-rate-limited");
        Assert.Null(_server.Store.FactsOrNull(FleetServer.MachineId("d")));
        await FleetServer.PostOkAsync(other, FleetServer.Report("d")); // the bound is per key
        _server.Advance(TimeSpan.FromMinutes(1));
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("e"));
    }

    [Fact]
    public async Task Report_NewHostBeyondMaxHosts_409AndKnownHostsStillReport()
    {
        using var admin = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);
        foreach (var seed in new[] { "a", "b", "c" })
        {
            await FleetServer.PostOkAsync(admin, FleetServer.Report(seed));
        }

        _server.Advance(TimeSpan.FromMinutes(1));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("d"));
        await FleetServer.PostOkAsync(admin, FleetServer.Report("e"));

        var sixth = await FleetServer.PostAsync(admin, FleetServer.Report("f"));

        await PublishTests.AssertProblemAsync(sixth, HttpStatusCode.Conflict, "host-limit-reached");
        Assert.Equal(5, _server.Store.Count);
        await FleetServer.PostOkAsync(admin, FleetServer.Report("a"));
    }

    [Fact]
    public async Task ForgetSilent_HostSilentLongerThanForgetAfter_ForgottenWithItsHistory()
    {
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("old"));
        _server.Advance(TimeSpan.FromDays(29));
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("recent"));
        _server.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        // The sweeper's timer runs on the fake clock too and may have swept already; a sweep now must leave the same result.
        _server.Repository.Services.GetRequiredService<HostSweeper>().ForgetSilent();

        Assert.Null(_server.Store.DocumentOrNull(FleetServer.MachineId("old")));
        Assert.Empty(_server.Store.History(FleetServer.MachineId("old"), 10));
        Assert.NotNull(_server.Store.DocumentOrNull(FleetServer.MachineId("recent")));
    }

    [Fact]
    public async Task Sweeper_ClockPassesForgetAfter_ForgetsTheHostByItself()
    {
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);
        await FleetServer.PostOkAsync(reporter, FleetServer.Report("old"));

        _server.Advance(TimeSpan.FromDays(30) + TimeSpan.FromHours(1));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_server.Store.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, _server.Store.Count);
    }

    [Fact]
    public async Task Restart_HostsAndHistory_ReadBackFromTheDatabase()
    {
        var data = Directory.CreateTempSubdirectory("lpatch-fleet-").FullName;
        using (var first = new RepositoryFactory(dataDirectory: data) { DeleteDataOnDispose = false })
        {
            using var admin = first.CreateClient(first.AdminKey);
            await FleetServer.PostOkAsync(admin, FleetServer.Report("a"));
        }

        using var second = new RepositoryFactory(dataDirectory: data);
        var store = second.Services.GetRequiredService<HostStore>();

        Assert.Equal("host-a", store.FactsOrNull(FleetServer.MachineId("a"))?.Hostname);
        Assert.Single(store.History(FleetServer.MachineId("a"), 10));
    }

    [Theory]
    [InlineData("LivePatch:Reports:ForgetAfter", "00:30:00", "LivePatch:Reports:ForgetAfter")]
    [InlineData("LivePatch:Reports:StaleAfter", "40.00:00:00", "LivePatch:Reports:ForgetAfter")]
    [InlineData("LivePatch:Reports:History", "0", "LivePatch:Reports:History")]
    [InlineData("LivePatch:Reports:MinInterval", "00:00:00", "LivePatch:Reports:MinInterval")]
    [InlineData("LivePatch:Reports:MaxHosts", "0", "LivePatch:Reports:MaxHosts")]
    [InlineData("LivePatch:Reports:NewHostsPerKeyPerMinute", "-1", "LivePatch:Reports:NewHostsPerKeyPerMinute")]
    public void Start_BadReportsSetting_StopsNamingIt(string key, string value, string message)
    {
        using var factory = new RepositoryFactory(new() { [key] = value });

        var e = Assert.ThrowsAny<Exception>(() => factory.Services);

        Assert.Contains(message, e.ToString(), StringComparison.Ordinal);
    }

    private static ReportedPatch Patch(params string[] cves) => new() { Name = "lp_sample", Level = 1, Sha256 = new string('a', 64), Cves = cves };

    private static string Json(Func<HostReport, HostReport> change) =>
        System.Text.Json.JsonSerializer.Serialize(change(FleetServer.Report("x")), RepositoryJsonContext.Default.HostReport);
}
