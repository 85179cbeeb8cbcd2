using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LivePatch.Server.Health;

/// <summary>The readiness checks' last report, run again at most every <see cref="MaxAge"/>, whoever asks and however often.</summary>
/// <remarks>
/// <c>/readyz</c> is anonymous and one of its checks writes and fsyncs a file: without this, every request from the internet
/// would cost a disk flush. Callers that arrive while a run is under way share it. Each change of a check's status is logged
/// once, with the details the body leaves out (the exception, with any path in it).
/// </remarks>
public sealed class ReadinessReports(HealthCheckService checks, TimeProvider time, ILogger<ReadinessReports> logger)
{
    /// <summary>How long a report is answered before the checks run again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private Task<CheckedReport>? _current;
    private CheckedReport? _last;

    /// <summary>The last report when it is younger than <see cref="MaxAge"/>, else a new run (shared with concurrent callers).</summary>
    public Task<CheckedReport> CurrentAsync()
    {
        lock (_lock)
        {
            if (_current is null || (_current.IsCompleted && (!_current.IsCompletedSuccessfully || time.GetUtcNow() - _current.Result.Checked >= MaxAge)))
            {
                // Off the lock: a check's synchronous part (the backlog counts every document) must not hold other callers.
                _current = Task.Run(RunAsync);
            }

            return _current;
        }
    }

    private async Task<CheckedReport> RunAsync()
    {
        var started = time.GetUtcNow();
        // Not the request's token: the run is shared, and each check has its own time-out.
        var report = new CheckedReport(await checks.CheckHealthAsync(CancellationToken.None), started);
        LogChanges(_last?.Report, report.Report);
        _last = report;
        return report;
    }

    private void LogChanges(HealthReport? before, HealthReport now)
    {
        foreach (var (name, entry) in now.Entries)
        {
            var previous = before is not null && before.Entries.TryGetValue(name, out var old) ? old.Status : HealthStatus.Healthy;
            if (previous == entry.Status)
            {
                continue;
            }

            var level = entry.Status switch
            {
                HealthStatus.Unhealthy => LogLevel.Error,
                HealthStatus.Degraded => LogLevel.Warning,
                _ => LogLevel.Information,
            };
            logger.Log(level, entry.Exception, "Readiness check {Check} is now {Status} (was {Previous}): {Description}",
                name, entry.Status, previous, entry.Description);
        }
    }
}

/// <summary>A readiness report and when its run started.</summary>
public sealed record CheckedReport(HealthReport Report, DateTimeOffset Checked);
