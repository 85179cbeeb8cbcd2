using System.Text.Json;
using LivePatch.Client.Host;

namespace LivePatch.Cli.Tests;

public sealed class HostCommandsTests
{
    [Fact]
    public void Status_MissingConfig_ExitsTwoNamingIt()
    {
        var run = Lpatch.Run("status", "--config", "/nonexistent/client.json");

        Assert.Equal(2, run.Exit);
        Assert.Contains("/nonexistent/client.json", run.Error);
    }

    [Fact]
    public void Check_MisspelledSetting_ExitsTwoNamingIt()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("client.json"), """{ "repositorys": ["http://127.0.0.1:9"] }""");

        var run = Lpatch.Run("check", "--config", dir.File("client.json"));

        Assert.Equal(2, run.Exit);
        Assert.Contains("[configuration-invalid]", run.Error);
        Assert.Contains("repositorys", run.Error);
    }

    [Fact]
    public void Apply_MissingRootAndBadUrl_ExitsTwoListingEachProblem()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("client.json"), $$"""
            { "repositories": ["ftp://mirror"], "trustedRoots": ["{{dir.File("root.pem")}}"],
              "moduleKeyring": ["{{FixtureFiles.PathOf("keys", "rsa2048.pem")}}"], "stateDirectory": "{{dir.Path}}", "cacheDirectory": "{{dir.Path}}" }
            """);

        var run = Lpatch.Run("apply", "--config", dir.File("client.json"));

        Assert.Equal(2, run.Exit);
        Assert.Contains("ftp://mirror", run.Error);
        Assert.Contains("root.pem", run.Error);
    }

    [Fact]
    public void Remove_NameWithPathCharacters_RefusedBeforeAnythingRuns()
    {
        var run = Lpatch.Run("remove", "../../etc", "--config", "/nonexistent/client.json");

        Assert.Equal(2, run.Exit);
        Assert.Contains("not a module name", run.Error);
    }

    [Fact]
    public void Help_ListsHostCommands()
    {
        var run = Lpatch.Run("--help");

        foreach (var command in new[] { "status", "check", "apply", "remove", "daemon", "guard" })
        {
            Assert.Contains(command, run.Output);
        }
    }

    [Fact]
    public void Apply_RunLockHeld_ExitsFiveNamingTheHolder()
    {
        using var host = new HostSandbox();
        host.Config["lockWait"] = "00:00:00.300";
        host.WriteConfig();
        using var held = RunLock.Acquire(host.StateDirectory, TimeSpan.Zero, TimeProvider.System);

        var run = host.Run("apply");

        Assert.Equal(5, run.Exit);
        Assert.Contains("[lpatch-busy]", run.Error);
        Assert.Contains($"pid {Environment.ProcessId}", run.Error);
    }

    [Fact]
    public void Status_StateWithTerminalControls_PrintsThemEscaped()
    {
        using var host = new HostSandbox();
        host.WriteConfig();
        WriteHostileState(host);

        var run = host.Run("status");

        Assert.Equal(0, run.Exit);
        Assert.DoesNotContain('\u001b', run.Output);
        Assert.DoesNotContain('\u202e', run.Output);
        Assert.Contains(@"revoked by \x1b[2Jvendor\u202etxt.exe", run.Output);
        Assert.Contains(@"checked \x1b[2J then \u202eevil", run.Output);
    }

    [Fact]
    public void Status_JsonWithTerminalControls_EscapedByTheEncoder()
    {
        using var host = new HostSandbox();
        host.WriteConfig();
        WriteHostileState(host);

        var run = host.Run("status", "--json");

        Assert.Equal(0, run.Exit);
        Assert.DoesNotContain('\u001b', run.Output);
        Assert.DoesNotContain('\u202e', run.Output);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal("revoked by \u001b[2Jvendor\u202etxt.exe", json.RootElement.GetProperty("revocations")[0].GetProperty("reason").GetString());
        Assert.Equal("checked \u001b[2J then \u202eevil", json.RootElement.GetProperty("lastCheck").GetProperty("message").GetString());
    }

    [Fact]
    public void Remove_NothingApplied_ExitsTwoNotApplied()
    {
        using var host = new HostSandbox();
        host.WriteConfig();

        var run = host.Run("remove", "lp_missing");

        Assert.Equal(2, run.Exit);
        Assert.Contains("[not-applied]", run.Error);
    }

    [Fact]
    public void Unhold_NameNotHeld_ExitsTwoNotHeld()
    {
        using var host = new HostSandbox();
        host.WriteConfig();

        var run = host.Run("unhold", "lp_missing");

        Assert.Equal(2, run.Exit);
        Assert.Contains("[not-held]", run.Error);
    }

    /// <summary>A state whose texts came from a hostile repository: ESC [2J clears the screen, U+202E reverses what follows.</summary>
    private static void WriteHostileState(HostSandbox host)
    {
        var sha = new string('a', 64);
        File.WriteAllText(host.State("state.json"), $$"""
            {
              "schema": 2,
              "lastCheck": { "at": "2025-01-02T03:04:05Z", "outcome": "failed", "code": "x", "message": "checked \u001b[2J then \u202eevil", "repository": "http://r" },
              "revocations": [ { "name": "lp_bad", "level": 2, "sha256": "{{sha}}", "reason": "revoked by \u001b[2Jvendor\u202etxt.exe", "revokedAt": "2025-01-01T00:00:00Z", "wasApplied": false } ]
            }
            """);
        File.SetUnixFileMode(host.State("state.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
