namespace LivePatch.Cli.Tests;

/// <summary><c>lpatch status --prometheus FILE</c>: the metrics derived from the host's state, written atomically, and every
/// target a root process must not write through refused before anything is written.</summary>
public sealed class HostMetricsCommandTests : IDisposable
{
    private readonly HostSandbox _host = new();
    private readonly Xunit.Abstractions.ITestOutputHelper _log;

    public HostMetricsCommandTests(Xunit.Abstractions.ITestOutputHelper log)
    {
        _log = log;
        _host.WriteConfig();
    }

    private string Target => Path.Combine(Folder(), "lpatch.prom");

    /// <summary>The textfile folder, 0755 as node_exporter's is made; created on first use.</summary>
    private string Folder()
    {
        var folder = _host.File("textfile");
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder);
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        }

        return folder;
    }

    public void Dispose() => _host.Dispose();

    [Fact]
    public void StatusPrometheus_AppliedPatchAndFailedCheck_EachMetricFromTheState()
    {
        WriteState(lastCheck: """{ "at": "2026-03-01T12:00:00Z", "outcome": "failed", "code": "repository-unreachable", "message": "down", "exitCode": 3 }""");
        File.WriteAllText(Path.Combine(_host.StageDirectory, "lp_sample.ko"), "staged");

        var run = _host.Run("status", "--prometheus", Target);

        Assert.True(run.Exit == 0, run.Error);
        Assert.Equal("", run.Output);
        var metrics = PrometheusText.Parse(File.ReadAllText(Target));
        Assert.All(metrics.Samples.Select(s => s.Name).Distinct(), name => Assert.True(metrics.Helped.Contains(name) && metrics.Types.ContainsKey(name), name));
        var stable = ("channel", "stable");
        Assert.Equal(1, metrics.ValueOrNull("lpatch_kernel_coverage", stable, ("state", "covered")));
        Assert.Equal(0, metrics.ValueOrNull("lpatch_kernel_coverage", stable, ("state", "unknown")));
        Assert.Equal(1, metrics.ValueOrNull("lpatch_kernel_info", ("build_id", HostSandbox.BuildId), ("release", "6.1.0-test-amd64")));
        Assert.Equal(2, metrics.ValueOrNull("lpatch_applied_level", stable));
        Assert.Equal(1, metrics.ValueOrNull("lpatch_patch_loaded", stable, ("patch", "lp_sample"), ("level", "2")));
        Assert.Equal(0, metrics.ValueOrNull("lpatch_patch_loaded", stable, ("patch", "lp_other"), ("level", "1")));
        Assert.Equal(1, metrics.ValueOrNull("lpatch_last_check_info", ("outcome", "failed"), ("code", "repository-unreachable")));
        Assert.Equal(3, metrics.ValueOrNull("lpatch_last_check_exit_code"));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), metrics.ValueOrNull("lpatch_last_check_timestamp_seconds"));
        Assert.Equal(1, metrics.ValueOrNull("lpatch_patches_held"));
        Assert.Equal(0, metrics.ValueOrNull("lpatch_patches_quarantined"));
        Assert.Equal(1, metrics.ValueOrNull("lpatch_auto_apply_enabled"));
        Assert.Null(metrics.ValueOrNull("lpatch_available_level", stable)); // no kept manifest to say what is offered
    }

    [Fact]
    public void StatusPrometheus_NeverChecked_CoverageUnknownAndNoLastCheck()
    {
        var run = _host.Run("status", "--prometheus", Target);

        Assert.True(run.Exit == 0, run.Error);
        var metrics = PrometheusText.Parse(File.ReadAllText(Target));
        Assert.Equal(1, metrics.ValueOrNull("lpatch_kernel_coverage", ("state", "unknown")));
        Assert.Equal(0, metrics.ValueOrNull("lpatch_applied_level"));
        Assert.Empty(metrics.Find("lpatch_last_check_info"));
    }

    [Fact]
    public void StatusPrometheus_ReleaseWithQuoteAndBackslash_EscapedInTheLabel()
    {
        File.WriteAllText(_host.KernelReleasePath, "6.1.0-\"odd\\name\n");

        var run = _host.Run("status", "--prometheus", Target);

        Assert.True(run.Exit == 0, run.Error);
        Assert.Contains("""release="6.1.0-\"odd\\name""", File.ReadAllText(Target));
        Assert.Equal(1, PrometheusText.Parse(File.ReadAllText(Target)).ValueOrNull("lpatch_kernel_info", ("release", "6.1.0-\"odd\\name")));
    }

    [Fact]
    public void StatusPrometheus_ExistingFile_ReplacedAtomicallyReadableByAllNoTempLeft()
    {
        File.WriteAllText(Target, "old\n");
        var inodeBefore = Inode(Target);

        var run = _host.Run("status", "--prometheus", Target);

        Assert.True(run.Exit == 0, run.Error);
        Assert.NotEqual(inodeBefore, Inode(Target)); // a new file renamed over the old one, not the old one rewritten
        Assert.StartsWith("# HELP ", File.ReadAllText(Target));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(Target)); // 0644: node_exporter runs as another user
        Assert.Equal([Target], Directory.GetFileSystemEntries(Folder()));
    }

    [Fact]
    public void StatusPrometheus_FolderMissing_ExitsTwoWritingNothing()
    {
        var run = _host.Run("status", "--prometheus", _host.File("nowhere/lpatch.prom"));

        Assert.Equal(2, run.Exit);
        Assert.Contains("[metrics-folder-missing]", run.Error);
        Assert.False(Directory.Exists(_host.File("nowhere")));
    }

    [Fact]
    public void StatusPrometheus_FolderWritableByGroup_RefusedAsUnsafe()
    {
        File.SetUnixFileMode(Folder(), (UnixFileMode)0b111_111_101); // 0775

        var run = _host.Run("status", "--prometheus", Target);

        Assert.Equal(2, run.Exit);
        Assert.Contains("[metrics-path-unsafe]", run.Error);
        Assert.Contains("writable by group or others", run.Error);
        Assert.Empty(Directory.GetFileSystemEntries(Folder()));
    }

    [Fact]
    public void StatusPrometheus_FolderOfAnotherUser_RefusedAsUnsafe()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            _log.WriteLine("SKIPPED: chown needs root (CI runs the tests as root)"); // xunit 2 has no dynamic skip
            return;
        }

        File.SetUnixFileMode(Folder(), (UnixFileMode)0b111_101_101);
        Chown(Folder(), 65534);

        var run = _host.Run("status", "--prometheus", Target);

        Assert.Equal(2, run.Exit);
        Assert.Contains("[metrics-path-unsafe]", run.Error);
        Assert.Contains("owned by uid 65534", run.Error);
    }

    [Fact]
    public void StatusPrometheus_FolderIsSymbolicLink_RefusedAsUnsafe()
    {
        var link = _host.File("textfile-link");
        File.CreateSymbolicLink(link, Folder());

        var run = _host.Run("status", "--prometheus", Path.Combine(link, "lpatch.prom"));

        Assert.Equal(2, run.Exit);
        Assert.Contains("[metrics-path-unsafe]", run.Error);
        Assert.Empty(Directory.GetFileSystemEntries(Folder()));
    }

    [Fact]
    public void StatusPrometheus_TargetIsSymbolicLink_RefusedAndWhatItPointsAtUntouched()
    {
        var victim = _host.File("victim");
        File.WriteAllText(victim, "keep me\n");
        File.CreateSymbolicLink(Target, victim);

        var run = _host.Run("status", "--prometheus", Target);

        Assert.Equal(2, run.Exit);
        Assert.Contains("[metrics-path-unsafe]", run.Error);
        Assert.Equal("keep me\n", File.ReadAllText(victim));
        Assert.NotNull(new FileInfo(Target).LinkTarget);
    }

    [Fact]
    public void StatusPrometheus_NameNotProm_RefusedBeforeLookingAtTheDisk()
    {
        var shadow = Path.Combine(Folder(), "shadow");
        File.WriteAllText(shadow, "root:x:\n");

        var run = _host.Run("status", "--prometheus", shadow);

        Assert.Equal(2, run.Exit);
        Assert.Contains("[metrics-name-invalid]", run.Error);
        Assert.Equal("root:x:\n", File.ReadAllText(shadow));
    }

    private void WriteState(string lastCheck) => File.WriteAllText(_host.State("state.json"), $$"""
        { "schema": 3, "repositoryId": "dev",
          "versions": { "dev/stable/{{HostSandbox.BuildId}}": 7 },
          "applied": [
            { "name": "lp_other", "level": 1, "sha256": "{{new string('b', 64)}}", "buildId": "{{HostSandbox.BuildId}}", "cves": [], "appliedAt": "2026-02-01T00:00:00Z" },
            { "name": "lp_sample", "level": 2, "sha256": "{{new string('a', 64)}}", "buildId": "{{HostSandbox.BuildId}}", "cves": [], "appliedAt": "2026-03-01T00:00:00Z" },
            { "name": "lp_old", "level": 9, "sha256": "{{new string('c', 64)}}", "buildId": "{{new string('d', 40)}}", "cves": [], "appliedAt": "2026-01-01T00:00:00Z" } ],
          "holds": [ "lp_third" ],
          "lastCheck": {{lastCheck}} }
        """);

    private static ulong Inode(string path)
    {
        var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var text = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return ulong.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Chown(string path, int uid)
    {
        using var chown = System.Diagnostics.Process.Start("chown", [$"{uid}:{uid}", path])!;
        chown.WaitForExit();
        Assert.Equal(0, chown.ExitCode);
    }
}
