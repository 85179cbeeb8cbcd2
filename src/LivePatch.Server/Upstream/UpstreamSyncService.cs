using LivePatch.Server.Audit;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Upstream;

/// <summary>Imports from <c>LivePatch:Upstream:Url</c> every <c>SyncInterval</c> (the first run at start); a failed run is
/// logged with its code and tried again at the next tick, never stopping the server.</summary>
public sealed class UpstreamSyncService(UpstreamImport import, IOptions<UpstreamOptions> upstream, TimeProvider time, AuditTrail audit,
    ILogger<UpstreamSyncService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = upstream.Value.SyncInterval;
        if (interval <= TimeSpan.Zero || import.ConfiguredSourceOrNull() is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                // UpstreamImport logs each run's counts, or its refusal with the code; the audit trail has the run too.
                audit.RecordImport(AuditAction.UpstreamSync, await import.SyncAsync(stoppingToken), AuditActor.Scheduler);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Upstream import failed; next try in {Interval}", interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
