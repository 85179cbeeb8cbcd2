namespace LivePatch.Core.Repository;

// The answers of the fleet questions (GET /v1/hosts, /v1/hosts/{machineId}, /v1/hosts/summary, /v1/cves/{id},
// /v1/patches/{id}/health; viewer or admin; docs/api.md, docs/reports.md).

/// <summary>One host as its last report and the repository's current patches show it.</summary>
public sealed record HostInfo
{
    public required string MachineId { get; init; }

    public string? Hostname { get; init; }

    /// <summary>The first of <see cref="States"/>: what the listing's <c>state</c> filter and the summary count.</summary>
    public required string State { get; init; }

    /// <summary>Every state that applies, in precedence order (<see cref="HostStates.All"/>).</summary>
    public required IReadOnlyList<string> States { get; init; }

    public required ReportedKernel Kernel { get; init; }

    public required string Channel { get; init; }

    public string? RepositoryId { get; init; }

    public IReadOnlyList<HostPatch> Applied { get; init; } = [];

    /// <summary>The highest live level the repository has for the host's kernel in its channel; null when it has none.</summary>
    public int? AvailableLevel { get; init; }

    public IReadOnlyList<string> Holds { get; init; } = [];

    public IReadOnlyList<ReportedQuarantine> Quarantined { get; init; } = [];

    public required ReportedOutcome Outcome { get; init; }

    /// <summary>The host's clock when it made its last report.</summary>
    public required DateTimeOffset Reported { get; init; }

    /// <summary>The server's clock when the last report arrived: what staleness and forgetting count from.</summary>
    public required DateTimeOffset LastSeen { get; init; }

    public required DateTimeOffset FirstSeen { get; init; }

    public required string ClientVersion { get; init; }

    public long? UptimeSeconds { get; init; }

    /// <summary>The name of the API key that sent the last report.</summary>
    public string? Reporter { get; init; }

    /// <summary>The address the last report came from, as the server saw it (a proxy's, behind one).</summary>
    public string? Address { get; init; }
}

/// <summary>A patch a host runs, with the repository's patch it is (found by blob SHA-256 and kernel) and whether it is revoked.</summary>
public sealed record HostPatch
{
    public required string Name { get; init; }

    public required int Level { get; init; }

    public required string Sha256 { get; init; }

    public IReadOnlyList<string> Cves { get; init; } = [];

    /// <summary>The repository's patch id; null when the repository has no such patch for that kernel (deleted, or another repository's).</summary>
    public int? PatchId { get; init; }

    public bool Revoked { get; init; }
}

/// <summary>One host and its recent reports, newest first.</summary>
public sealed record HostDetail
{
    public required HostInfo Host { get; init; }

    public required IReadOnlyList<HostHistoryEntry> History { get; init; }
}

/// <summary>One report of a host's history.</summary>
public sealed record HostHistoryEntry
{
    public required DateTimeOffset Received { get; init; }

    public required DateTimeOffset Reported { get; init; }

    public required ReportedKernel Kernel { get; init; }

    public IReadOnlyList<ReportedPatch> Applied { get; init; } = [];

    public required ReportedOutcome Outcome { get; init; }
}

/// <summary>The fleet at a glance.</summary>
public sealed record FleetSummary
{
    public required int Hosts { get; init; }

    /// <summary>Hosts per state (each host counted once, in its first state); every state is listed, zeros included.</summary>
    public required IReadOnlyDictionary<string, int> States { get; init; }

    /// <summary>Hosts whose kernel has a live patch in their channel.</summary>
    public required int Covered { get; init; }

    /// <summary><see cref="Covered"/> in percent of <see cref="Hosts"/> (0 with no hosts).</summary>
    public required double Coverage { get; init; }

    /// <summary>Hosts without a report for longer than <c>LivePatch:Reports:StaleAfter</c>, whatever their first state.</summary>
    public required int Stale { get; init; }

    /// <summary>Distinct kernel builds the hosts run.</summary>
    public required int Kernels { get; init; }
}

/// <summary>Which kernels have a fix for a CVE, and which reporting hosts still run without one.</summary>
public sealed record CveExposure
{
    public required string Cve { get; init; }

    /// <summary>Kernels with a live patch that names the CVE (at most <see cref="FleetLimits.MaxKernelsListed"/>; <see cref="KernelCount"/> counts all).</summary>
    public required IReadOnlyList<CveKernel> Kernels { get; init; }

    public required int KernelCount { get; init; }

    public required CveHostCounts Hosts { get; init; }

    /// <summary>Exposed hosts, at most <see cref="FleetLimits.MaxHostsListed"/> (the counts count all).</summary>
    public required IReadOnlyList<CveHost> Exposed { get; init; }

    /// <summary>Fixed hosts, at most <see cref="FleetLimits.MaxHostsListed"/>.</summary>
    public required IReadOnlyList<CveHost> Fixed { get; init; }
}

/// <summary>A kernel with a fix for the CVE: the live patches that name it.</summary>
public sealed record CveKernel(string BuildId, string Release, IReadOnlyList<CvePatch> Patches);

/// <summary>A live patch naming the CVE; levels are cumulative, so any level from the lowest of these on fixes it.</summary>
public sealed record CvePatch(int Id, string Name, int Level, IReadOnlyList<string> Channels);

/// <summary>How many reporting hosts are fixed and exposed, and why the exposed are.</summary>
/// <param name="Total">Every reporting host.</param>
/// <param name="Fixed">Run a level at or above the lowest live level naming the CVE for their kernel.</param>
/// <param name="Exposed">All the others: <paramref name="NoFix"/> + <paramref name="FixNotInChannel"/> + <paramref name="NotApplied"/>.</param>
/// <param name="NoFix">Their kernel has no live patch naming the CVE.</param>
/// <param name="FixNotInChannel">Their kernel has one, but not in the channel they follow.</param>
/// <param name="NotApplied">One is in their channel; they run no patch or a lower level.</param>
public sealed record CveHostCounts(int Total, int Fixed, int Exposed, int NoFix, int FixNotInChannel, int NotApplied);

/// <summary>A host in a CVE answer: <c>status</c> is <c>fixed</c>, <c>no-fix</c>, <c>fix-not-in-channel</c> or <c>not-applied</c>.</summary>
public sealed record CveHost
{
    public required string MachineId { get; init; }

    public string? Hostname { get; init; }

    public required string BuildId { get; init; }

    public required string Release { get; init; }

    public required string Channel { get; init; }

    public required string Status { get; init; }

    /// <summary>The highest level the host runs; null when it runs none.</summary>
    public int? Level { get; init; }

    /// <summary>The lowest live level that names the CVE for the host's kernel; null when there is none.</summary>
    public int? FixLevel { get; init; }
}

/// <summary>How one patch fares on the hosts that report.</summary>
public sealed record PatchHealth
{
    public required int PatchId { get; init; }

    public required string Name { get; init; }

    public required int Level { get; init; }

    public required string KernelRelease { get; init; }

    public bool Revoked { get; init; }

    /// <summary>Hosts that run it now.</summary>
    public required int Applied { get; init; }

    /// <summary>Hosts whose last run chose it and failed (any code: the list says which).</summary>
    public required int Failed { get; init; }

    /// <summary>Hosts that ran it in an earlier report and no longer do (moved on, removed, revoked, rebooted).</summary>
    public required int Removed { get; init; }

    /// <summary>The failed hosts, at most <see cref="FleetLimits.MaxHostsListed"/>.</summary>
    public required IReadOnlyList<PatchHealthHost> FailedHosts { get; init; }
}

/// <summary>A host whose last run failed on a patch, with the failure's code.</summary>
public sealed record PatchHealthHost(string MachineId, string? Hostname, string? Code, DateTimeOffset LastSeen);

/// <summary>How long the fleet answers' lists get: counts always count everything.</summary>
public static class FleetLimits
{
    public const int MaxHostsListed = 1000;

    public const int MaxKernelsListed = 1000;
}
