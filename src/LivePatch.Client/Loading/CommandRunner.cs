using System.ComponentModel;
using System.Diagnostics;

namespace LivePatch.Client.Loading;

/// <summary>How a command ended: exit code and captured output, or why it did not run to the end.</summary>
internal sealed record CommandOutcome(int ExitCode, string StandardOutput, string StandardError, string? Problem)
{
    /// <summary>Captured stderr longer than this is cut in messages: enough for kmod's and kpatch's diagnostics.</summary>
    private const int MaxMessageChars = 2000;

    public bool Succeeded => Problem is null && ExitCode == 0;

    /// <summary>One line for a failure message: the command, how it ended and what it printed to stderr.</summary>
    public string Describe(string command)
    {
        var how = Problem ?? $"exited with {ExitCode}";
        var stderr = StandardError.Trim();
        if (stderr.Length > MaxMessageChars)
        {
            stderr = stderr[..MaxMessageChars] + "…";
        }

        return stderr.Length == 0 ? $"{command} {how}." : $"{command} {how}: {stderr}";
    }
}

/// <summary>Runs a command without a shell (arguments are never parsed), with a time-out, capturing its output.</summary>
internal static class CommandRunner
{
    public static async Task<CommandOutcome> RunAsync(
        string command,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        TimeSpan timeout,
        TimeProvider time,
        CancellationToken cancellation)
    {
        using var process = new Process { StartInfo = StartInfo(command, arguments, environment) };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return new CommandOutcome(-1, "", "", $"could not be started ({e.Message})");
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, timeoutSource.Token);
        string? problem = null;
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellation.ThrowIfCancellationRequested();
            problem = $"timed out after {timeout.TotalSeconds:0.#} s and was killed";
        }

        var output = await ReadOrEmptyAsync(stdout, timeout, time, cancellation).ConfigureAwait(false);
        var errors = await ReadOrEmptyAsync(stderr, timeout, time, cancellation).ConfigureAwait(false);
        return new CommandOutcome(problem is null ? process.ExitCode : -1, output, errors, problem);
    }

    /// <summary>A background child that kept the pipes open would hold the output back: the time-out bounds that too.</summary>
    private static async Task<string> ReadOrEmptyAsync(Task<string> read, TimeSpan timeout, TimeProvider time, CancellationToken cancellation)
    {
        try
        {
            return await read.WaitAsync(timeout, time, cancellation).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return "";
        }
    }

    private static ProcessStartInfo StartInfo(string command, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        // No shell: a name without '/' is looked up on PATH by Process, an absolute path is used as is.
        var info = new ProcessStartInfo(command)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // Output is parsed (kpatch list) and quoted in messages: keep it untranslated.
        info.Environment["LC_ALL"] = "C";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return info;
    }
}
