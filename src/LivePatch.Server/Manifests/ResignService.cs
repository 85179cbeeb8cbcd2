using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Manifests;

/// <summary>Re-signs stored manifests before they expire (when less than half their lifetime is left), so hosts never see a stale one.</summary>
public sealed class ResignService(ManifestService manifests, ManifestWriter writer, IOptions<RepositoryOptions> options, TimeProvider time,
    ILogger<ResignService> logger) : BackgroundService
{
    /// <summary>How often to look: a tenth of the lifetime, at most hourly.</summary>
    public TimeSpan Period => PeriodFor(options.Value.ManifestLifetime);

    /// <summary>How often the re-signer looks for documents due, for a manifest lifetime (the readiness check's measure too).</summary>
    public static TimeSpan PeriodFor(TimeSpan lifetime) => TimeSpan.FromTicks(Math.Min(lifetime.Ticks / 10, TimeSpan.FromHours(1).Ticks));

    /// <summary>One pass: re-signs every manifest that is due; returns how many were re-signed.</summary>
    public int ResignDue()
    {
        var completed = writer.CompletePending();
        if (completed > 0)
        {
            logger.LogWarning("Rendered {Count} manifest(s) a change had left pending (a crash or failure between its batches)", completed);
        }

        var due = manifests.DueForResigning();
        var count = writer.Resign(due);
        if (count > 0)
        {
            logger.LogInformation("Re-signed {Count} manifest(s) before expiry", count);
        }

        if (writer.ReclaimSignedSpace() is var reclaimed and > 0)
        {
            logger.LogInformation("Removed {Count} signed-document segment(s) holding only replaced documents", reclaimed);
        }

        return count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                await WriterThread.Run(ResignDue); // a pass holds its thread for seconds at 100,000 kernels
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Keep trying: an unsigned repository is worse than a log line per period.
                logger.LogError(e, "Re-signing manifests failed; will retry in {Period}", Period);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
