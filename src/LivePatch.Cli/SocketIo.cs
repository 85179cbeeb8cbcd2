namespace LivePatch.Cli;

/// <summary>How this process's sockets hand over completed reads and writes: a runtime setting read once, when the first
/// socket starts, so <see cref="Configure"/> runs first thing in <c>Main</c>.</summary>
/// <remarks>
/// <c>lpatch mirror</c> copies a repository as thousands of small GETs, a few in flight; by default each completion is
/// queued from the runtime's socket thread to the thread pool, a wake-up and a context switch per request. Run inline
/// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, one socket thread per core) the continuation — checking the
/// document's hash, verifying its signature, staging it — runs on the socket thread that read it: a tenth less time for a
/// 10,000-kernel sync on one core (a whole-process A/B of 8 pairs; bench/mirror.sh compares the sync with wget). Safe for
/// code that never blocks a socket thread on another socket's I/O; the mirror commands' code never waits synchronously on
/// a task. The host commands (apply, daemon) make a few requests a run and keep the runtime's default. A value the user
/// set is left alone.
/// </remarks>
internal static class SocketIo
{
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether this command line runs its socket continuations inline: the <c>mirror</c> commands.</summary>
    public static bool RunsInline(IReadOnlyList<string> args) =>
        args.Count > 0 && string.Equals(args[0], "mirror", StringComparison.Ordinal);

    public static void Configure(IReadOnlyList<string> args)
    {
        if (RunsInline(args) && Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }
}
