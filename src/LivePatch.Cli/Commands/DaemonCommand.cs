using System.CommandLine;
using System.Runtime.InteropServices;
using LivePatch.Client.Host;
using LivePatch.Client.Reports;
using LivePatch.Client.Updates;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch daemon</c>: apply every interval (plus a random delay), back off after failures, stop cleanly on SIGTERM.</summary>
internal static class DaemonCommand
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMinutes(1);

    public static Command Build(TimeProvider time)
    {
        var config = HostCommands.ConfigOption();
        var once = new Option<int?>("--iterations") { Description = "Stop after this many runs (for testing)." };
        var prometheus = HostCommands.PrometheusOption();
        prometheus.Description = "After each run, write node_exporter textfile-collector metrics to FILE, as 'lpatch status --prometheus FILE' does.";
        var command = new Command("daemon", "Check and apply every interval plus a random delay, with backoff after failures; stops cleanly on SIGTERM or SIGINT.")
        {
            config, once, prometheus,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var host = HostClient.Create(parse.GetRequiredValue(config), time);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
            await RunAsync(host, parse, new DaemonRuns(parse.GetValue(once), parse.GetValue(prometheus)), time, stop.Token);
            parse.InvocationConfiguration.Output.WriteLine("lpatch daemon: stopped");
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task RunAsync(HostClient host, ParseResult parse, DaemonRuns runs, TimeProvider time, CancellationToken stop)
    {
        var iterations = runs.Iterations;
        var output = new EscapingWriter(parse.InvocationConfiguration.Output);
        var failures = 0;
        var wait = Jitter(host.Options.RandomDelay);
        for (var run = 0; iterations is null || run < iterations; run++)
        {
            if (run > 0 || wait > TimeSpan.Zero)
            {
                output.WriteLine($"lpatch daemon: next run in {wait:g}");
                if (!await DelayAsync(wait, time, stop))
                {
                    return;
                }
            }

            // A run is not cancelled half-way by SIGTERM: a loader step must finish or back out on its own time-outs.
            // Each run takes the run lock itself, so 'lpatch remove' or 'lpatch check' can run between two of them.
            UpdateResult result;
            try
            {
                result = await host.Engine.ApplyAsync(dryRun: false, progress: null, CancellationToken.None);
            }
            catch (LpatchBusyException e)
            {
                result = UpdateResult.Failed(new UpdateFailure(ClientErrorCodes.Busy, e.Message));
            }

            output.WriteLine($"lpatch daemon: {time.GetUtcNow():u} {(result.Failure is { } f ? $"failed [{f.Code}]: {f.Message}" : $"{result.ActionName}: {result.Message}")}");
            await WriteMetricsAsync(host, runs.Prometheus, output, time);
            await HostReportOutput.SendAsync(parse.InvocationConfiguration.Error, host, time, HostReporter.Daemon, result, host.Engine.State);
            failures = result.Succeeded ? 0 : failures + 1;
            wait = failures == 0
                ? host.Options.Interval + Jitter(host.Options.RandomDelay)
                : Min(host.Options.Interval, FirstBackoff * Math.Pow(2, Math.Min(failures - 1, 16))) + Jitter(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>The textfile metrics after a run; a file that cannot be written is said and the daemon goes on.</summary>
    private static async Task WriteMetricsAsync(HostClient host, string? file, TextWriter output, TimeProvider time)
    {
        if (file is null)
        {
            return;
        }

        try
        {
            TextfileMetricsFile.Write(file, HostMetrics.Render(await HostMetrics.CollectAsync(host, time, CancellationToken.None)));
        }
        catch (MetricsFileException e)
        {
            output.WriteLine($"lpatch daemon: metrics not written [{e.Error.Code}]: {e.Message}");
        }
    }

    private static async Task<bool> DelayAsync(TimeSpan wait, TimeProvider time, CancellationToken stop)
    {
        try
        {
            await Task.Delay(wait, time, stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    // A fleet must not hit the repository in lock-step: spread each host's runs over the random delay.
    private static TimeSpan Jitter(TimeSpan max) => max <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * max.TotalMilliseconds);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private sealed record DaemonRuns(int? Iterations, string? Prometheus);
}
