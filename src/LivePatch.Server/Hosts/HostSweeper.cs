using Microsoft.Extensions.Options;

namespace LivePatch.Server.Hosts;

/// <summary>Forgets hosts that have not reported for <see cref="ReportsOptions.ForgetAfter"/>, with their history, every
/// <see cref="ReportsOptions.SweepPeriod"/> (the first time at start).</summary>
public sealed class HostSweeper(HostStore store, IOptions<ReportsOptions> options, TimeProvider time, ILogger<HostSweeper> logger) : BackgroundService
{
    /// <summary>One sweep: forgets every host silent for longer than <see cref="ReportsOptions.ForgetAfter"/>; returns how many.</summary>
    public int ForgetSilent()
    {
        var cutoff = time.GetUtcNow() - options.Value.ForgetAfter;
        var count = store.Forget(cutoff.ToUnixTimeMilliseconds());
        if (count > 0)
        {
            logger.LogInformation("Forgot {Count} host(s) without a report since {Cutoff:u} (LivePatch:Reports:ForgetAfter)", count, cutoff);
        }

        return count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepPeriod, time);
        do
        {
            try
            {
                ForgetSilent();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Forgetting silent hosts failed; next try in {Period}", options.Value.SweepPeriod);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
