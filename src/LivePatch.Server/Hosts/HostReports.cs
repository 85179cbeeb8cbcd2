using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Hosts;

/// <summary>How a report was answered: accepted (no problem), or refused with a problem and, for a rate limit, when to come back.</summary>
public sealed record ReportAcceptance(RepositoryProblem? Problem, TimeSpan? RetryAfter = null)
{
    public static ReportAcceptance Accepted { get; } = new(Problem: null);
}

/// <summary>Takes in host reports (<c>POST /v1/reports</c>): validates, rate-limits, stores the last report and the history.</summary>
/// <remarks>
/// Three bounds, checked under <see cref="HostStore.Gate"/> so that two reports of one host cannot both pass: one report per
/// host per <see cref="ReportsOptions.MinInterval"/> (a host in a loop costs one write per interval); at most
/// <see cref="ReportsOptions.NewHostsPerKeyPerMinute"/> new machine ids per API key (a leaked reporter key, which can make up
/// machine ids at will, adds hosts at that pace and no faster); at most <see cref="ReportsOptions.MaxHosts"/> hosts in all.
/// The per-key count is kept in memory: a restart starts it afresh, which costs at most one more minute's worth.
/// </remarks>
public sealed class HostReports(HostStore store, IOptions<ReportsOptions> options, TimeProvider time, ILogger<HostReports> logger)
{
    private static readonly TimeSpan NewHostWindow = TimeSpan.FromMinutes(1);

    private readonly ReportsOptions _options = options.Value;
    private readonly Dictionary<string, (long StartMs, int Count)> _newHosts = new(StringComparer.Ordinal);

    /// <summary>Checks and stores one report sent with the API key named <paramref name="reporter"/> from <paramref name="address"/>.</summary>
    public ReportAcceptance Accept(HostReport? report, string reporter, string? address)
    {
        if (HostReportValidator.ProblemOrNull(report) is { } invalid)
        {
            return new ReportAcceptance(new RepositoryProblem(ProblemCodes.ReportInvalid, $"The report is not valid: {invalid}."));
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (store.Gate)
        {
            var known = store.FactsOrNull(report!.MachineId);
            if ((known is null ? NewHostRefusalOrNull(reporter, now) : RepeatRefusalOrNull(known, now)) is { } refused)
            {
                return refused;
            }

            store.Save(DocumentOf(report, known, HostReportData.From(report, now, reporter, address)), _options.History);
            if (known is null)
            {
                CountNewHost(reporter, now);
                logger.LogDebug("New host {MachineId} reported with key {Key}", report.MachineId, reporter);
            }
        }

        store.FlushLog(); // outside the gate: reports arriving together share one fsync
        return ReportAcceptance.Accepted;
    }

    private ReportAcceptance? RepeatRefusalOrNull(HostFacts known, long now)
    {
        var wait = TimeSpan.FromMilliseconds(known.ReceivedMs - now) + _options.MinInterval;
        return wait <= TimeSpan.Zero ? null : RateLimited(wait,
            $"This host reported {(now - known.ReceivedMs) / 1000.0:0.#} s ago; it may report once per {_options.MinInterval:c} (LivePatch:Reports:MinInterval).");
    }

    private ReportAcceptance? NewHostRefusalOrNull(string reporter, long now)
    {
        if (store.Count >= _options.MaxHosts)
        {
            logger.LogWarning("Refused a new host: {Count} hosts are stored, LivePatch:Reports:MaxHosts is {Max}", store.Count, _options.MaxHosts);
            return new ReportAcceptance(new RepositoryProblem(ProblemCodes.HostLimitReached,
                $"This repository keeps at most {_options.MaxHosts} hosts (LivePatch:Reports:MaxHosts); a new host is taken once silent ones are forgotten."));
        }

        if (_newHosts.TryGetValue(reporter, out var window) && now - window.StartMs < NewHostWindow.TotalMilliseconds
            && window.Count >= _options.NewHostsPerKeyPerMinute)
        {
            return RateLimited(TimeSpan.FromMilliseconds(window.StartMs - now) + NewHostWindow,
                $"The API key '{reporter}' added {window.Count} hosts within a minute, the most it may (LivePatch:Reports:NewHostsPerKeyPerMinute).");
        }

        return null;
    }

    private void CountNewHost(string reporter, long now)
    {
        var window = _newHosts.GetValueOrDefault(reporter);
        _newHosts[reporter] = now - window.StartMs < NewHostWindow.TotalMilliseconds ? (window.StartMs, window.Count + 1) : (now, 1);
    }

    private static ReportAcceptance RateLimited(TimeSpan wait, string detail) =>
        new(new RepositoryProblem(ProblemCodes.ReportRateLimited, detail), wait);

    /// <summary>The host's document with this report as its last, and the patches its previous report ran and this one does not
    /// remembered as removed (for patch health).</summary>
    private static HostDocument DocumentOf(HostReport report, HostFacts? known, HostReportData data)
    {
        var removed = (known?.Removed ?? []).Where(r => !(r.BuildId == data.BuildId && data.Applied.Any(a => a.Sha256 == r.Sha256))).ToList();
        foreach (var before in known?.Applied ?? [])
        {
            if (known!.BuildId != data.BuildId || data.Applied.All(a => a.Sha256 != before.Sha256))
            {
                removed.RemoveAll(r => r.Sha256 == before.Sha256 && r.BuildId == known.BuildId);
                removed.Add(new RemovedPatchEntry { Sha256 = before.Sha256, BuildId = known.BuildId, AtMs = data.ReceivedMs });
            }
        }

        return new HostDocument
        {
            Id = report.MachineId,
            FirstSeenMs = known?.FirstSeenMs ?? data.ReceivedMs,
            Last = data,
            Removed = [.. removed.TakeLast(HostDocument.MaxRemembered)],
        };
    }
}
