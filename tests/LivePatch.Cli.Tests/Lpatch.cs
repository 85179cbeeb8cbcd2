namespace LivePatch.Cli.Tests;

/// <summary>Runs the lpatch command tree in-process and captures what it prints.</summary>
internal static class Lpatch
{
    public static CliRun Run(params string[] args) => RunAt(null, args);

    /// <summary>Runs with <paramref name="time"/> as the host commands' clock (null: the system's).</summary>
    public static CliRun RunAt(TimeProvider? time, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = LpatchCommand.Run(args, output, error, time: time);
        return new CliRun(exit, output.ToString(), error.ToString());
    }
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
