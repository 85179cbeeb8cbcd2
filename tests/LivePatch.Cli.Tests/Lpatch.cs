using System.Text.RegularExpressions;

namespace LivePatch.Cli.Tests;

/// <summary>Runs the lpatch command tree in-process and captures what it prints.</summary>
internal static partial class Lpatch
{
    public static CliRun Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = LpatchCommand.Run(args, output, error);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    public static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    /// <summary>The first "Build ID:" that readelf -n printed for a fixture.</summary>
    public static string ReadelfBuildId(params string[] parts) =>
        BuildIdLine().Match(File.ReadAllText(Fixture(parts) + ".readelf.txt")).Groups[1].Value;

    /// <summary>One field of modinfo's output recorded beside a module fixture.</summary>
    public static string? Modinfo(string module, string key) =>
        File.ReadLines(Fixture("modules", module) + ".modinfo.txt")
            .Select(line => line.Split(':', 2))
            .Where(kv => kv.Length == 2 && kv[0] == key)
            .Select(kv => kv[1].Trim())
            .FirstOrDefault();

    [GeneratedRegex(@"Build ID: ([0-9a-f]+)")]
    private static partial Regex BuildIdLine();
}

/// <summary>Exit code and captured output of one lpatch run.</summary>
internal sealed record CliRun(int Exit, string Output, string Error)
{
    /// <summary>The value printed after "key:" on a line of the output.</summary>
    public string? Field(string key) => Output.Split('\n')
        .Select(line => line.Split(':', 2))
        .Where(kv => kv.Length == 2 && kv[0] == key)
        .Select(kv => kv[1].Trim())
        .FirstOrDefault();
}

/// <summary>A temporary directory removed after the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("lpatch-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
