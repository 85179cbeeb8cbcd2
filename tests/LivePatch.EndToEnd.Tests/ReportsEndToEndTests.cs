using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LivePatch.EndToEnd.Tests;

/// <summary>Hosts running the real lpatch report to the real server, and an operator asks about them with the real lpatch: what
/// is stored, that a host has another id at another URL, that failing to report changes no run, and the fleet commands' output.</summary>
public sealed class ReportsEndToEndTests : IDisposable
{
    private const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9"; // of fixtures/notes/sys-kernel-notes.bin
    private const string MachineId = "5f1e0c7a9b3d4e2f8a6b0c1d2e3f4a5b";
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-reports-e2e-").FullName;
    private readonly ServerProcess _server;

    public ReportsEndToEndTests()
    {
        _server = new ServerProcess(Path.Combine(_root, "server"), new Dictionary<string, string>
        {
            ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
            ["LivePatch__Reports__MinInterval"] = "00:05:00",
        });
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Apply_ReportsOn_ServerStoresTheHostAndFleetCommandsShowIt()
    {
        await _server.StartAsync();
        Run(Admin(), "publish", FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"), "--build-id", BuildId, "--cve", "CVE-2024-1086");
        var reporter = CreateKey("reporter");
        var viewer = new Dictionary<string, string> { ["LPATCH_SERVER"] = _server.Url, ["LPATCH_API_KEY"] = CreateKey("viewer") };

        var first = Host("one", $"{_server.Url}/", reporter);
        var second = Host("two", $"http://localhost:{_server.Port}/", reporter); // the same machine-id file, another URL
        var applied = Run(null, "apply", "--config", first);
        Run(null, "apply", "--config", second);

        Assert.DoesNotContain("warning", applied.Error, StringComparison.Ordinal);
        using var hosts = JsonDocument.Parse(Run(viewer, "hosts", "list", "--json").Output);
        var ids = hosts.RootElement.EnumerateArray().Select(h => h.GetProperty("machineId").GetString()).ToList();
        Assert.Equal(new[] { Hash($"{_server.Url}/"), Hash($"http://localhost:{_server.Port}/") }.Order(StringComparer.Ordinal), ids);
        Assert.All(hosts.RootElement.EnumerateArray(), h => Assert.Equal("patched", h.GetProperty("state").GetString()));
        Assert.Contains($"sent", Run(null, "status", "--config", first).Output.Split('\n').Single(l => l.StartsWith("report:", StringComparison.Ordinal)), StringComparison.Ordinal);

        var table = Run(viewer, "hosts", "list", "--state", "patched").Output;
        Assert.Contains("2 hosts: 2 patched", table, StringComparison.Ordinal);
        Assert.Contains("6.1.0-56-amd64", table, StringComparison.Ordinal);
        var show = Run(viewer, "hosts", "show", ids[0]!).Output;
        Assert.Contains("state: patched", show, StringComparison.Ordinal);
        Assert.Contains("lp_sample level 1 (patch 1) CVE-2024-1086", show, StringComparison.Ordinal);
        var cve = Run(viewer, "cve", "CVE-2024-1086");
        Assert.StartsWith("CVE-2024-1086: 2 of 2 reporting host(s) fixed, 0 exposed", cve.Output, StringComparison.Ordinal);
        using var cveJson = JsonDocument.Parse(Run(viewer, "cve", "CVE-2024-1086", "--json").Output);
        Assert.Equal(2, cveJson.RootElement.GetProperty("hosts").GetProperty("fixed").GetInt32());
    }

    [Fact]
    public async Task Check_ReportRateLimitedOrKeyRefusedOrServerDown_ExitAndOutputUnchangedOneWarning()
    {
        await _server.StartAsync();
        var reporter = CreateKey("reporter");
        var config = Host("one", $"{_server.Url}/", reporter);
        var first = Run(null, "check", "--config", config);
        Assert.DoesNotContain("warning", first.Error, StringComparison.Ordinal);

        var limited = Lpatch.Run("check", "--config", config);
        var refused = Lpatch.Run("check", "--config", Host("wrong-key", $"{_server.Url}/", "lpk_000000000000_wrong"));
        var down = Lpatch.Run("check", "--config", Host("down", $"http://127.0.0.1:{LoopbackPorts.Free()}/", reporter));

        foreach (var (run, code) in new[] { (limited, "report-rate-limited"), (refused, "unauthenticated"), (down, "report-failed") })
        {
            Assert.True(run.Exit == first.Exit, run.ToString());
            Assert.Equal(first.Output, run.Output);
            var warning = Assert.Single(run.Error.Split('\n'), l => l.StartsWith("lpatch: warning [report-failed]: ", StringComparison.Ordinal));
            Assert.Contains(code, warning, StringComparison.Ordinal);
        }
    }

    private Dictionary<string, string> Admin() => new() { ["LPATCH_SERVER"] = _server.Url, ["LPATCH_API_KEY"] = _server.AdminKey };

    private string CreateKey(string role)
    {
        using var json = JsonDocument.Parse(Run(Admin(), "api-keys", "create", $"fleet-{role}", "--role", role, "--json").Output);
        Assert.Equal(role, json.RootElement.GetProperty("role").GetString());
        return json.RootElement.GetProperty("secret").GetString()!;
    }

    /// <summary>A host of its own under the test folder (state, cache, stage), reporting to <paramref name="reportUrl"/>.</summary>
    private string Host(string name, string reportUrl, string key)
    {
        var root = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        var config = HostConfig.Write(root, [_server.Url], _server.Keys("root.pem"), new { kind = "stage", stageDirectory = Path.Combine(root, "stage") });
        HostConfig.AddReport(config, root, reportUrl, key, MachineId);
        return config;
    }

    private ProcessRun Run(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var run = Lpatch.Run(environment, args);
        Assert.True(run.Exit == 0, $"lpatch {string.Join(' ', args)}: {run}\nserver:\n{_server.Log}");
        return run;
    }

    /// <summary>The machine id docs/reports.md describes, computed here independently of lpatch.</summary>
    private static string Hash(string url) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"lpatch host report machine id v1\0{url}\0{MachineId}")));
}
