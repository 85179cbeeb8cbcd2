namespace LivePatch.Core.Repository;

// The host report (POST /v1/reports, docs/reports.md): what lpatch sends after a check or apply, and the bounds the server
// holds it to. Hosts build it within these bounds; the server refuses anything outside them.

/// <summary>One host's report after <c>lpatch check</c>, <c>apply</c>, <c>apply --boot</c> or a daemon run.</summary>
public sealed record HostReport
{
    /// <summary>The layout this code reads and writes; the server refuses any other.</summary>
    public const int CurrentSchema = 1;

    public int Schema { get; init; } = CurrentSchema;

    /// <summary>64 lowercase hex digits: SHA-256 over a fixed domain string, the report URL and /etc/machine-id, so one host
    /// has another id at every repository it reports to.</summary>
    public required string MachineId { get; init; }

    /// <summary>The host's name; left out when the host's <c>report.hostname</c> is false.</summary>
    public string? Hostname { get; init; }

    public required ReportedKernel Kernel { get; init; }

    /// <summary>The channel the host follows (client.json <c>channel</c>).</summary>
    public required string Channel { get; init; }

    /// <summary>The repository id the host pinned or was configured with; null before its first verified manifest.</summary>
    public string? RepositoryId { get; init; }

    /// <summary>The patches lpatch applied to the running kernel (its build ID) and believes loaded.</summary>
    public IReadOnlyList<ReportedPatch> Applied { get; init; } = [];

    /// <summary>Module names an operator removed with <c>lpatch remove</c>: not applied again until <c>lpatch unhold</c>.</summary>
    public IReadOnlyList<string> Holds { get; init; } = [];

    /// <summary>Modules the crash-loop guard holds back.</summary>
    public IReadOnlyList<ReportedQuarantine> Quarantined { get; init; } = [];

    public required ReportedOutcome Outcome { get; init; }

    /// <summary>The host's clock when it made the report (the server keeps its own receive time too).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>lpatch's version, as in its User-Agent.</summary>
    public required string ClientVersion { get; init; }

    /// <summary>Seconds since the host booted (/proc/uptime); null when it could not be read.</summary>
    public long? UptimeSeconds { get; init; }
}

/// <summary>The running kernel: its GNU build ID (lowercase hex) and release.</summary>
public sealed record ReportedKernel(string BuildId, string Release);

/// <summary>A patch applied to the running kernel, as the manifest named it; the server finds the repository's patch by the
/// blob SHA-256 and the kernel's build ID.</summary>
public sealed record ReportedPatch
{
    public required string Name { get; init; }

    public required int Level { get; init; }

    /// <summary>The blob's SHA-256, as the manifest named it.</summary>
    public required string Sha256 { get; init; }

    public IReadOnlyList<string> Cves { get; init; } = [];
}

/// <summary>A module the crash-loop guard holds back: its SHA-256 (of the decompressed module), name and the guard's reason code.</summary>
public sealed record ReportedQuarantine(string Sha256, string Name, string Reason);

/// <summary>How the run that sent the report ended.</summary>
public sealed record ReportedOutcome
{
    /// <summary><c>check</c>, <c>apply</c>, <c>boot</c> (<c>apply --boot</c>) or <c>daemon</c> (one run of <c>lpatch daemon</c>).</summary>
    public required string Command { get; init; }

    /// <summary>The action lpatch prints: <c>none</c>, <c>applied</c>, <c>would-apply</c>, <c>not-covered</c>, <c>failed</c>, …</summary>
    public required string Action { get; init; }

    /// <summary>The failure's stable code; null on success.</summary>
    public string? Code { get; init; }

    /// <summary>lpatch's exit code for the run (4: the loader failed).</summary>
    public required int ExitCode { get; init; }

    /// <summary>lpatch's one-line message, control characters escaped, at most <see cref="HostReportLimits.MaxMessageLength"/>.</summary>
    public string? Message { get; init; }

    /// <summary>The patch the run chose (to apply, or that failed to apply); null when it chose none.</summary>
    public ReportedTarget? Target { get; init; }
}

/// <summary>The patch a run chose: name, level and blob SHA-256 as the manifest named them.</summary>
public sealed record ReportedTarget(string Name, int Level, string Sha256);

/// <summary>The bounds of a host report: the body and every list and string in it.</summary>
public static class HostReportLimits
{
    /// <summary>The largest body <c>POST /v1/reports</c> reads: a real report is one or two KiB.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Livepatch modules loaded at once: one with atomic replace, a few when stacked.</summary>
    public const int MaxApplied = 32;

    public const int MaxHolds = 32;

    public const int MaxQuarantined = 32;

    /// <summary>A host name (RFC 1123: at most 253 characters of letters, digits, '-', '.'; '_' tolerated).</summary>
    public const int MaxHostnameLength = 253;

    /// <summary>A kernel release: <c>__NEW_UTS_LEN</c> (include/uapi/linux/utsname.h).</summary>
    public const int MaxReleaseLength = 64;

    /// <summary>lpatch's message of the run, escaped and cut to this by the host.</summary>
    public const int MaxMessageLength = 1024;

    /// <summary>Stable codes, actions, reasons, commands and versions are short identifiers.</summary>
    public const int MaxIdentifierLength = 64;

    /// <summary>Seconds since boot: a hundred years is more than any host's uptime.</summary>
    public const long MaxUptimeSeconds = 100L * 366 * 24 * 3600;
}

/// <summary>The states of a host (docs/reports.md, "States"), in precedence order: a host is in the first that applies.</summary>
public static class HostStates
{
    /// <summary>Runs a patch the repository has revoked since.</summary>
    public const string RevokedStillLoaded = "revoked-still-loaded";

    /// <summary>The last run failed in the loader (exit 4: the module did not load, or the guard quarantined it).</summary>
    public const string ApplyFailed = "apply-failed";

    /// <summary>No report for longer than <c>LivePatch:Reports:StaleAfter</c>: what is known of it may be out of date.</summary>
    public const string Stale = "stale";

    /// <summary>An operator removed a patch on the host (<c>lpatch remove</c>) and it stays off.</summary>
    public const string Held = "held";

    /// <summary>A higher live level exists for its kernel in its channel than any it runs.</summary>
    public const string Behind = "behind";

    /// <summary>No live patch exists for its kernel in its channel.</summary>
    public const string NotCovered = "not-covered";

    /// <summary>Runs the highest live level of its kernel in its channel.</summary>
    public const string Patched = "patched";

    /// <summary>Every state, most urgent first: the precedence.</summary>
    public static IReadOnlyList<string> All { get; } = [RevokedStillLoaded, ApplyFailed, Stale, Held, Behind, NotCovered, Patched];

    public static bool IsKnown(string? state) => state is not null && All.Contains(state);
}
