using LivePatch.Core.Kernel;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Hosts;

/// <summary>The fleet's questions, as plain methods for the API and the dashboard: hosts by state, one host with its history,
/// the summary, CVE exposure and patch health (docs/reports.md).</summary>
/// <remarks>States are computed when asked, from each host's last report and the repository's patches as they are now, so a
/// revocation shows at once. The listing reads one bounded page of host documents; the questions about every host read the
/// in-memory facts (<see cref="HostStore"/>), never every document.</remarks>
public sealed partial class FleetQueries(HostStore store, RepositoryDatabase db, IOptions<ReportsOptions> reports,
    IOptions<RepositoryOptions> repository, TimeProvider time)
{
    /// <summary>Hosts one page reads at most, whether its filters keep them or not: a page of a rare state ends short (even
    /// empty) with a cursor rather than reading on through the fleet.</summary>
    public const int MaxHostsReadPerPage = PageLimits.MaxLimit;

    /// <summary>CVE ids the hosts one page reads may list between them before the page ends (a page always holds one host): a
    /// report may carry 32 patches of 256 CVE ids each, and a page of 1000 such hosts would be 64 MB.</summary>
    public const int MaxCvesReadPerPage = 100_000;

    /// <summary>Test seam: <see cref="MaxCvesReadPerPage"/>, lower in a test than a hundred thousand CVE ids' worth of reports.</summary>
    internal int CvesReadPerPage { get; set; } = MaxCvesReadPerPage;

    private readonly ReportsOptions _reports = reports.Value;

    /// <summary>A page of hosts in machine id order, optionally of one kernel, channel and/or state (the host's first state).</summary>
    public Outcome<ListPage<HostInfo>> Hosts(string? kernel, string? channel, string? state, string? after, string? limit)
    {
        if (PatchListings.LimitOrNull(limit) is not { } count)
        {
            return PatchListings.LimitInvalid();
        }

        if (FilterProblemOrNull(kernel, channel, state, after) is { } problem)
        {
            return problem;
        }

        var buildId = kernel is null ? null : BuildId.Parse(kernel).Hex;
        var cache = new KernelPatchCache(db);
        var now = time.GetUtcNow();
        var (items, read, cves, last) = (new List<HostInfo>(), 0, 0, (string?)null);
        foreach (var host in store.After(after, MaxHostsReadPerPage + 1))
        {
            if (items.Count == count || read == MaxHostsReadPerPage || cves >= CvesReadPerPage)
            {
                return new ListPage<HostInfo> { Items = items, Next = last };
            }

            (read, cves, last) = (read + 1, cves + host.Last.Applied.Sum(a => a.Cves.Count), host.Id);
            if ((buildId is null || host.Last.BuildId == buildId) && (channel is null || host.Last.Channel == channel)
                && ToInfo(host, cache.For(host.Last.BuildId), now) is var info && (state is null || info.State == state))
            {
                items.Add(info);
            }
        }

        return new ListPage<HostInfo> { Items = items, Next = null };
    }

    /// <summary>One host with its recent reports, newest first.</summary>
    public Outcome<HostDetail> Host(string machineId)
    {
        if (!MachineId.IsValid(machineId))
        {
            return new RepositoryProblem(ProblemCodes.MachineIdInvalid, "A machine id is 64 lowercase hex digits (as 'lpatch hosts list' shows them).");
        }

        if (store.DocumentOrNull(machineId) is not { } host)
        {
            return new RepositoryProblem(ProblemCodes.HostNotFound, "No host with that machine id has reported (or it was forgotten after LivePatch:Reports:ForgetAfter).");
        }

        return new HostDetail
        {
            Host = ToInfo(host, new KernelPatchCache(db).For(host.Last.BuildId), time.GetUtcNow()),
            History = [.. store.History(machineId, _reports.History).Select(r => new HostHistoryEntry
            {
                Received = Time(r.ReceivedMs), Reported = Time(r.ReportedMs), Kernel = r.Kernel(), Outcome = r.Outcome(),
                Applied = [.. r.Applied.Select(a => new ReportedPatch { Name = a.Name, Level = a.Level, Sha256 = a.Sha256, Cves = a.Cves })],
            })],
        };
    }

    /// <summary>Hosts per state (each in its first), coverage, staleness and kernels, over every host.</summary>
    public FleetSummary Summary()
    {
        var hosts = store.Snapshot();
        var cache = new KernelPatchCache(db);
        var now = time.GetUtcNow();
        var states = HostStates.All.ToDictionary(s => s, _ => 0, StringComparer.Ordinal);
        var (covered, stale) = (0, 0);
        foreach (var host in hosts)
        {
            var kernel = cache.For(host.BuildId);
            states[HostStateRules.StatesOf(host, kernel, now, _reports.StaleAfter)[0]]++;
            covered += kernel.HighestLive(host.Channel) is null ? 0 : 1;
            stale += HostStateRules.IsStale(host, now, _reports.StaleAfter) ? 1 : 0;
        }

        return new FleetSummary
        {
            Hosts = hosts.Count,
            States = states,
            Covered = covered,
            Coverage = hosts.Count == 0 ? 0 : Math.Round(100.0 * covered / hosts.Count, 1),
            Stale = stale,
            Kernels = hosts.Select(h => h.BuildId).Distinct(StringComparer.Ordinal).Count(),
        };
    }

    private RepositoryProblem? FilterProblemOrNull(string? kernel, string? channel, string? state, string? after)
    {
        if (after is not null && !MachineId.IsValid(after))
        {
            return new RepositoryProblem(ProblemCodes.PageInvalid, "'after' must be a machine id (64 lowercase hex digits): the 'next' of the page before.");
        }

        if (kernel is not null && !BuildId.TryParse(kernel, out _))
        {
            return new RepositoryProblem(ProblemCodes.BuildIdInvalid, "The kernel filter must be a build ID: 16 to 128 hex digits.");
        }

        // Any channel name: a host may follow a channel this repository lacks (it is then not-covered), and that is worth finding.
        if (channel is not null && !RepositoryOptions.IsChannelName(channel))
        {
            return new RepositoryProblem(ProblemCodes.UnknownChannel,
                $"'{channel}' is not a channel name; this repository has: {string.Join(", ", repository.Value.Channels)}.");
        }

        return state is not null && !HostStates.IsKnown(state)
            ? new RepositoryProblem(ProblemCodes.HostStateInvalid, $"The state must be one of: {string.Join(", ", HostStates.All)}.")
            : null;
    }

    private HostInfo ToInfo(HostDocument host, KernelPatches kernel, DateTimeOffset now)
    {
        var last = host.Last;
        var states = HostStateRules.StatesOf(HostFacts.Of(host), kernel, now, _reports.StaleAfter);
        return new HostInfo
        {
            MachineId = host.Id,
            Hostname = last.Hostname,
            State = states[0],
            States = states,
            Kernel = last.Kernel(),
            Channel = last.Channel,
            RepositoryId = last.RepositoryId,
            Applied = [.. last.Applied.Select(a => ToPatch(a, kernel.BySha256OrNull(a.Sha256)))],
            AvailableLevel = kernel.HighestLive(last.Channel),
            Holds = last.Holds,
            Quarantined = [.. last.Quarantined.Select(q => new ReportedQuarantine(q.Sha256, q.Name, q.Reason))],
            Outcome = last.Outcome(),
            Reported = Time(last.ReportedMs),
            LastSeen = Time(last.ReceivedMs),
            FirstSeen = Time(host.FirstSeenMs),
            ClientVersion = last.ClientVersion,
            UptimeSeconds = last.UptimeSeconds,
            Reporter = last.Reporter,
            Address = last.Address,
        };
    }

    private static HostPatch ToPatch(HostPatchEntry applied, PatchDocument? patch) => new()
    {
        Name = applied.Name,
        Level = applied.Level,
        Sha256 = applied.Sha256,
        Cves = applied.Cves,
        PatchId = patch?.Id,
        Revoked = patch?.RevokedMs is not null,
    };

    private static DateTimeOffset Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
}
