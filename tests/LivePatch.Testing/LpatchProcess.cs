using System.Diagnostics;

namespace LivePatch.Testing;

/// <summary>Exit code and output of one process run.</summary>
public sealed record ProcessRun(int Exit, string Output, string Error)
{
    public override string ToString() => $"exit {Exit}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs one of the real binaries (<see cref="Binaries"/>) to its end as a child process.</summary>
public static class DotnetProcess
{
    public static ProcessRun Run(string dll, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileNameWithoutExtension(dll)} {string.Join(' ', args)} did not finish in 2 minutes");
        }

        return new ProcessRun(process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>Runs the real <c>lpatch</c> as a child process (its own build output, as <see cref="Binaries"/> finds it).</summary>
public static class Lpatch
{
    public static ProcessRun Run(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        DotnetProcess.Run(Binaries.Lpatch, environment, args);

    public static ProcessRun Run(params string[] args) => Run(null, args);
}
