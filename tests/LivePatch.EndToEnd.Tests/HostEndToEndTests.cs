using System.Text.Json;

namespace LivePatch.EndToEnd.Tests;

/// <summary>A host running the real lpatch against the real server: apply with the stage and the sysfs loader, revoke, failover.</summary>
public sealed class HostEndToEndTests : IDisposable
{
    private const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9"; // of fixtures/notes/sys-kernel-notes.bin
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-host-e2e-").FullName;
    private readonly ServerProcess _server;
    private readonly Dictionary<string, string> _publisher;

    public HostEndToEndTests()
    {
        _server = new ServerProcess(Path.Combine(_root, "server"), new Dictionary<string, string>
        {
            ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
        });
        _publisher = new Dictionary<string, string> { ["LPATCH_SERVER"] = _server.Url };
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Apply_StageLoaderWithFirstRepositoryDown_AppliesThenRemovesAfterRevoke()
    {
        await _server.StartAsync();
        var id = Publish("lp_sample.rsa2048-sha256.ko");
        var stage = Path.Combine(_root, "stage");
        var config = WriteConfig(new { kind = "stage", stageDirectory = stage }, firstRepositoryDown: true);

        var check = Host("check", "--config", config, "--json");
        using (var json = JsonDocument.Parse(check.Output))
        {
            Assert.Equal("would-apply", json.RootElement.GetProperty("action").GetString());
            Assert.Equal("repository-unreachable", json.RootElement.GetProperty("attempts")[0].GetProperty("code").GetString());
        }

        Assert.Empty(Directory.Exists(stage) ? Directory.GetFiles(stage) : []);
        Host("apply", "--config", config);
        Assert.Equal(File.ReadAllBytes(FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko")), File.ReadAllBytes(Path.Combine(stage, "lp_sample.ko")));
        Assert.Contains("lp_sample level 1", Host("status", "--config", config).Output);
        Assert.StartsWith("none:", Host("apply", "--config", config).Output);

        Assert.Equal(0, Lpatch.Run(Publisher(), "revoke", id, "--reason", "breaks NFS").Exit);
        Host("apply", "--config", config);

        Assert.Empty(Directory.GetFiles(stage));
        using var status = JsonDocument.Parse(Host("status", "--config", config, "--json").Output);
        Assert.Empty(status.RootElement.GetProperty("applied").EnumerateArray());
    }

    [Fact]
    public async Task Apply_SysfsLoaderOnFakeTree_InsmodThenRmmodAfterRevoke()
    {
        await _server.StartAsync();
        var id = Publish("lp_sample.rsa2048-sha256.ko");
        var sysfs = Directory.CreateDirectory(Path.Combine(_root, "sysfs")).FullName;
        var log = Path.Combine(_root, "commands.log");
        var insmod = Script("insmod", $"""
            name=$(grep -a -o 'name=[A-Za-z0-9_-]*' "$1" | head -n 1 | cut -d= -f2)
            echo "insmod $name" >> {log}
            mkdir -p {sysfs}/$name && echo 1 > {sysfs}/$name/enabled && echo 1 > {sysfs}/$name/transition
            (sleep 0.3; echo 0 > {sysfs}/$name/transition) &
            """);
        var rmmod = Script("rmmod", $"""
            echo "rmmod $1" >> {log}
            rm -rf {sysfs}/$1
            """);
        var config = WriteConfig(new { kind = "sysfs", sysfsRoot = sysfs, insmod, rmmod, transitionTimeout = "00:00:10" }, firstRepositoryDown: false);

        Host("apply", "--config", config);

        Assert.Equal("1", File.ReadAllText(Path.Combine(sysfs, "lp_sample", "enabled")).Trim());
        Assert.Equal(["insmod lp_sample"], File.ReadAllLines(log));

        Assert.Equal(0, Lpatch.Run(Publisher(), "revoke", id, "--reason", "regression").Exit);
        Host("apply", "--config", config);

        Assert.False(Directory.Exists(Path.Combine(sysfs, "lp_sample")));
        Assert.Equal(["insmod lp_sample", "rmmod lp_sample"], File.ReadAllLines(log));
    }

    [Fact]
    public async Task Apply_ModuleNotSignedForHostKeyring_RefusedAndNothingLoaded()
    {
        await _server.StartAsync();
        Publish("lp_sample.rsa2048-sha256.ko");
        var stage = Path.Combine(_root, "stage");
        var config = WriteConfig(new { kind = "stage", stageDirectory = stage }, firstRepositoryDown: false,
            keyring: FixtureFiles.PathOf("keys", "ecdsa-p384.pem"));

        var run = Lpatch.Run("apply", "--config", config);

        Assert.Equal(1, run.Exit);
        Assert.Contains("signature-signer-unknown", run.Error);
        Assert.False(Directory.Exists(stage) && Directory.GetFiles(stage).Length > 0);
    }

    [Fact]
    public void Apply_NoRepositoryReachable_ExitsThree()
    {
        var config = WriteConfig(new { kind = "stage", stageDirectory = Path.Combine(_root, "stage") }, firstRepositoryDown: true, onlyDown: true);

        var run = Lpatch.Run("apply", "--config", config);

        Assert.Equal(3, run.Exit);
        Assert.Contains("repository-unreachable", run.Error);
    }

    [Fact]
    public async Task Daemon_AppliesThenStopsCleanlyOnSigterm()
    {
        await _server.StartAsync();
        Publish("lp_sample.rsa2048-sha256.ko");
        var stage = Path.Combine(_root, "stage");
        var config = WriteConfig(new { kind = "stage", stageDirectory = stage }, firstRepositoryDown: false);
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Binaries.Lpatch, "daemon", "--config", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var daemon = System.Diagnostics.Process.Start(start)!;
        var firstRun = await daemon.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        while (firstRun is not null && !firstRun.Contains("applied", StringComparison.Ordinal))
        {
            firstRun = await daemon.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var rest = await daemon.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await daemon.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("applied lp_sample level 1", firstRun);
        Assert.True(File.Exists(Path.Combine(stage, "lp_sample.ko")));
        Assert.Contains("stopped", rest);
        Assert.Equal(0, daemon.ExitCode);
    }

    /// <summary>The textfile metrics written by the real lpatch process after a real apply, then after the vendor revokes it.</summary>
    [Fact]
    public async Task StatusPrometheus_AfterApplyAndAfterRevoke_LevelsCoverageAndLastCheck()
    {
        await _server.StartAsync();
        var id = Publish("lp_sample.rsa2048-sha256.ko");
        var config = WriteConfig(new { kind = "stage", stageDirectory = Path.Combine(_root, "stage") }, firstRepositoryDown: false);
        var textfile = Directory.CreateDirectory(Path.Combine(_root, "textfile")).FullName;
        File.SetUnixFileMode(textfile, (UnixFileMode)0b111_101_101);
        var file = Path.Combine(textfile, "lpatch.prom");
        var stable = ("channel", "stable");
        Host("apply", "--config", config);

        Host("status", "--config", config, "--prometheus", file);

        var applied = PrometheusText.Parse(File.ReadAllText(file));
        Assert.Equal(1, applied.ValueOrNull("lpatch_kernel_coverage", stable, ("state", "covered")));
        Assert.Equal(1, applied.ValueOrNull("lpatch_kernel_info", ("build_id", BuildId), ("release", HostConfig.Release)));
        Assert.Equal((1.0, 1.0, 1.0), (applied.ValueOrNull("lpatch_applied_level", stable), applied.ValueOrNull("lpatch_available_level", stable),
            applied.ValueOrNull("lpatch_allowed_level", stable)));
        Assert.Equal(1, applied.ValueOrNull("lpatch_patch_loaded", stable, ("patch", "lp_sample"), ("level", "1")));
        Assert.Equal(1, applied.ValueOrNull("lpatch_last_check_info", ("outcome", "applied"), ("code", "")));
        Assert.Equal(0, applied.ValueOrNull("lpatch_last_check_exit_code"));
        Assert.InRange(applied.ValueOrNull("lpatch_last_check_timestamp_seconds")!.Value,
            DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);

        Assert.Equal(0, Lpatch.Run(Publisher(), "revoke", id, "--reason", "breaks NFS").Exit);
        Host("apply", "--config", config);
        Host("status", "--config", config, "--prometheus", file);

        var revoked = PrometheusText.Parse(File.ReadAllText(file));
        Assert.Equal((0.0, 0.0), (revoked.ValueOrNull("lpatch_applied_level", stable), revoked.ValueOrNull("lpatch_available_level", stable)));
        Assert.Equal(1, revoked.ValueOrNull("lpatch_last_check_info", ("outcome", "removed"), ("code", "")));
        Assert.Empty(revoked.Find("lpatch_patch_loaded"));
    }

    private Dictionary<string, string> Publisher() => new(_publisher) { ["LPATCH_API_KEY"] = _server.AdminKey };

    private string Publish(string fixture)
    {
        var run = Lpatch.Run(Publisher(), "publish", FixtureFiles.PathOf("modules", fixture), "--build-id", BuildId, "--json");
        Assert.True(run.Exit == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Output);
        return json.RootElement.GetProperty("id").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private ProcessRun Host(params string[] args)
    {
        var run = Lpatch.Run(args);
        Assert.True(run.Exit == 0, $"lpatch {string.Join(' ', args)}: {run}\nserver:\n{_server.Log}");
        return run;
    }

    private string WriteConfig(object loader, bool firstRepositoryDown, bool onlyDown = false, string? keyring = null)
    {
        var down = $"http://127.0.0.1:{LoopbackPorts.Free()}";
        var repositories = onlyDown ? [down] : firstRepositoryDown ? new[] { down, _server.Url } : [_server.Url];
        var root = onlyDown ? FixtureFiles.PathOf("keys", "rsa2048.pem") : _server.Keys("root.pem");
        return HostConfig.Write(_root, repositories, root, loader, keyring);
    }

    private string Script(string name, string body)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, "#!/bin/bash\nset -e\n" + body.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
