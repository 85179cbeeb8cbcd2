using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace LivePatch.EndToEnd.Tests;

/// <summary>The systemd units in samples/systemd as systemd itself reads them (systemd-analyze, offline: no systemd needs to
/// run): each one's exposure at most the ceiling docs/deployment.md gives it, and no warning when loaded.</summary>
public sealed partial class SystemdUnitTests : IDisposable
{
    private static readonly string Units = Path.Combine(Binaries.RepositoryRoot, "samples", "systemd");
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-units-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    public static TheoryData<string> Services => [.. Directory.GetFiles(Units, "*.service").Select(f => Path.GetFileName(f)).Order()];

    [Theory]
    [MemberData(nameof(Services))]
    public void Security_Unit_ExposureAtMostItsDocumentedCeiling(string unit)
    {
        var ceilings = DocumentedCeilings();
        Assert.True(ceilings.ContainsKey(unit), $"docs/deployment.md has no exposure ceiling for {unit}");

        var run = SystemdAnalyze("security", "--offline=yes", Path.Combine(Units, unit));

        var overall = OverallExposure().Match(run.Output);
        Assert.True(overall.Success, run.ToString());
        var exposure = double.Parse(overall.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= ceilings[unit], $"{unit}: exposure {exposure} is above its ceiling {ceilings[unit]} (docs/deployment.md)");
    }

    [Fact]
    public void Verify_EveryUnit_LoadsWithoutAWarning()
    {
        // A root with the system's own units (what the samples order themselves after) and a stand-in for each program
        // they start, since verify also checks that ExecStart= names an executable.
        CopyDirectory("/usr/lib/systemd/system", Path.Combine(_root, "usr", "lib", "systemd", "system"));
        var installed = Directory.CreateDirectory(Path.Combine(_root, "etc", "systemd", "system")).FullName;
        var units = Directory.GetFiles(Units).Where(f => f.EndsWith(".service", StringComparison.Ordinal) || f.EndsWith(".timer", StringComparison.Ordinal)).ToList();
        foreach (var unit in units)
        {
            File.Copy(unit, Path.Combine(installed, Path.GetFileName(unit)));
            foreach (Match start in ExecStart().Matches(File.ReadAllText(unit)))
            {
                StandIn(start.Groups[1].Value);
            }
        }

        var run = SystemdAnalyze(["verify", $"--root={_root}", .. units.Select(u => $"/etc/systemd/system/{Path.GetFileName(u)}")]);

        // verify exits 0 on an unknown key or an unparsable value, and only says so: any output is a failure.
        Assert.True(run.Exit == 0 && run.Output.Length == 0 && run.Error.Length == 0, run.ToString());
        Assert.Equal(5, units.Count);
    }

    [Fact]
    public void Samples_NoPlaceholderUrls()
    {
        var files = Directory.GetFiles(Path.Combine(Binaries.RepositoryRoot, "samples"), "*", SearchOption.AllDirectories)
            .Append(Path.Combine(Binaries.RepositoryRoot, "docker-compose.yml"))
            .Append(Path.Combine(Binaries.RepositoryRoot, "src", "LivePatch.Server", "Dockerfile"));

        var placeholders = files.SelectMany(f => Placeholder().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetFileName(f)}: {m.Value}")).ToList();

        Assert.Empty(placeholders);
    }

    /// <summary>The table of docs/deployment.md: <c>| `unit` | measured | ceiling |</c>.</summary>
    private static Dictionary<string, double> DocumentedCeilings() =>
        CeilingRow().Matches(File.ReadAllText(Path.Combine(Binaries.RepositoryRoot, "docs", "deployment.md")))
            .ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    private void StandIn(string program)
    {
        var path = Path.Combine(_root, program.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/bin/sh\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from).Where(f => File.Exists(f) && new FileInfo(f).ResolveLinkTarget(returnFinalTarget: true) is null or { Exists: true }))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static ProcessRun SystemdAnalyze(params string[] args)
    {
        var start = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SYSTEMD_COLORS"] = "0";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("systemd-analyze is missing (Debian: apt-get install systemd; .ci/run installs it)");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new ProcessRun(process.ExitCode, output.Result, error.Result);
    }

    [GeneratedRegex(@"^\| `([a-z-]+\.service)` \| [0-9.]+ \| ([0-9.]+) \|", RegexOptions.Multiline)]
    private static partial Regex CeilingRow();

    [GeneratedRegex(@"Overall exposure level for \S+: ([0-9]+\.[0-9])")]
    private static partial Regex OverallExposure();

    [GeneratedRegex(@"^ExecStart=(/\S+)", RegexOptions.Multiline)]
    private static partial Regex ExecStart();

    [GeneratedRegex(@"[a-z0-9.-]*\.(invalid|example|test)\b|example\.(com|org|net)", RegexOptions.IgnoreCase)]
    private static partial Regex Placeholder();
}
