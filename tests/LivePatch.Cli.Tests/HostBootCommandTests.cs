using System.Text.Json.Nodes;

namespace LivePatch.Cli.Tests;

/// <summary><c>lpatch apply --boot</c> as a process: outcome names, exit codes by category, <c>--json</c>; the repository in
/// the sandbox is one nobody listens on, which a boot apply never asks.</summary>
public sealed class HostBootCommandTests
{
    [Fact]
    public void ApplyBoot_NothingAppliedBefore_ExitsZeroBootNothingToDo()
    {
        using var host = new HostSandbox();
        host.WriteConfig();

        var run = host.Run("apply", "--boot", "--json");

        Assert.True(run.Exit == 0, run.Error);
        Assert.Equal("boot-nothing-to-do", JsonNode.Parse(run.Output)!["action"]!.GetValue<string>());
    }

    [Fact]
    public void ApplyBoot_AppliedBeforeButNoKeptManifest_ExitsTwoWithoutTryingTheNetwork()
    {
        using var host = new HostSandbox();
        host.WriteConfig();
        File.WriteAllText(host.State("state.json"), $$"""
            { "schema": 3, "applied": [ { "name": "lp_sample", "level": 1, "sha256": "{{new string('a', 64)}}",
              "buildId": "{{HostSandbox.BuildId}}", "cves": [], "appliedAt": "2026-01-01T00:00:00Z" } ] }
            """);

        var run = host.Run("apply", "--boot");

        Assert.Equal(2, run.Exit);
        Assert.Contains("[boot-manifest-missing]", run.Error);
        Assert.DoesNotContain("127.0.0.1:1", run.Error); // an unreachable repository would have said so (exit 3)
    }

    [Fact]
    public void ApplyBoot_DisableFile_ExitsZeroDisabled()
    {
        using var host = new HostSandbox();
        host.WriteConfig();
        File.WriteAllText(host.File("disabled"), "");

        var run = host.Run("apply", "--boot");

        Assert.Equal(0, run.Exit);
        Assert.StartsWith("disabled:", run.Output);
    }

    [Fact]
    public void ApplyBoot_WithDryRun_UsageError()
    {
        using var host = new HostSandbox();
        host.WriteConfig();

        var run = host.Run("apply", "--boot", "--dry-run");

        Assert.Equal(2, run.Exit);
        Assert.Contains("--boot and --dry-run", run.Error);
    }
}
