using LiteDB;
using LivePatch.Core.Repository;

namespace LivePatch.Server.Hosts;

// LiteDB documents of host reports. Times are Unix milliseconds, as in Storage/Documents.cs.

/// <summary>A host and its last report (collection <c>hosts</c>, id = its machine id).</summary>
public sealed class HostDocument
{
    /// <summary>Patches a host ran and no longer runs, remembered for patch health; the oldest are dropped beyond this.</summary>
    public const int MaxRemembered = 16;

    [BsonId]
    public string Id { get; set; } = "";

    public long FirstSeenMs { get; set; }

    public HostReportData Last { get; set; } = new();

    /// <summary>Patches an earlier report listed as applied and a later one no longer did, oldest first.</summary>
    public List<RemovedPatchEntry> Removed { get; set; } = [];
}

/// <summary>One report of a host's history (collection <c>host_reports</c>, indexed by machine id).</summary>
public sealed class HostReportDocument
{
    [BsonId(autoId: true)]
    public long Id { get; set; }

    public string MachineId { get; set; } = "";

    public HostReportData Report { get; set; } = new();
}

/// <summary>A validated report as stored, with when it arrived, which key sent it and from where.</summary>
public sealed class HostReportData
{
    public string? Hostname { get; set; }

    public string BuildId { get; set; } = "";

    public string Release { get; set; } = "";

    public string Channel { get; set; } = "";

    public string? RepositoryId { get; set; }

    public List<HostPatchEntry> Applied { get; set; } = [];

    public List<string> Holds { get; set; } = [];

    public List<HostQuarantineEntry> Quarantined { get; set; } = [];

    public string Command { get; set; } = "";

    public string Action { get; set; } = "";

    public string? Code { get; set; }

    public int ExitCode { get; set; }

    public string? Message { get; set; }

    public HostPatchEntry? Target { get; set; }

    public long ReportedMs { get; set; }

    public long ReceivedMs { get; set; }

    public string ClientVersion { get; set; } = "";

    public long? UptimeSeconds { get; set; }

    /// <summary>The API key's name.</summary>
    public string? Reporter { get; set; }

    /// <summary>The client address as the server saw it.</summary>
    public string? Address { get; set; }

    public static HostReportData From(HostReport report, long receivedMs, string reporter, string? address) => new()
    {
        Hostname = report.Hostname,
        BuildId = report.Kernel.BuildId,
        Release = report.Kernel.Release,
        Channel = report.Channel,
        RepositoryId = report.RepositoryId,
        Applied = [.. report.Applied.Select(p => new HostPatchEntry { Name = p.Name, Level = p.Level, Sha256 = p.Sha256, Cves = [.. p.Cves] })],
        Holds = [.. report.Holds],
        Quarantined = [.. report.Quarantined.Select(q => new HostQuarantineEntry { Sha256 = q.Sha256, Name = q.Name, Reason = q.Reason })],
        Command = report.Outcome.Command,
        Action = report.Outcome.Action,
        Code = report.Outcome.Code,
        ExitCode = report.Outcome.ExitCode,
        Message = report.Outcome.Message,
        Target = report.Outcome.Target is { } t ? new HostPatchEntry { Name = t.Name, Level = t.Level, Sha256 = t.Sha256 } : null,
        ReportedMs = report.Time.ToUnixTimeMilliseconds(),
        ReceivedMs = receivedMs,
        ClientVersion = report.ClientVersion,
        UptimeSeconds = report.UptimeSeconds,
        Reporter = reporter,
        Address = address,
    };

    public ReportedOutcome Outcome() => new()
    {
        Command = Command,
        Action = Action,
        Code = Code,
        ExitCode = ExitCode,
        Message = Message,
        Target = Target is { } t ? new ReportedTarget(t.Name, t.Level, t.Sha256) : null,
    };

    public ReportedKernel Kernel() => new(BuildId, Release);
}

/// <summary>A patch in a report: applied, or a run's target (no CVEs then).</summary>
public sealed class HostPatchEntry
{
    public string Name { get; set; } = "";

    public int Level { get; set; }

    public string Sha256 { get; set; } = "";

    public List<string> Cves { get; set; } = [];
}

public sealed class HostQuarantineEntry
{
    public string Sha256 { get; set; } = "";

    public string Name { get; set; } = "";

    public string Reason { get; set; } = "";
}

/// <summary>A patch a host ran on a kernel and, by a later report, no longer runs.</summary>
public sealed class RemovedPatchEntry
{
    public string Sha256 { get; set; } = "";

    public string BuildId { get; set; } = "";

    public long AtMs { get; set; }
}

/// <summary>What the fleet questions need of one host, kept in memory for every host (<see cref="HostStore"/>): the summary,
/// CVE exposure and patch health look at every host, and must not read every document to do it.</summary>
public sealed record HostFacts(
    string MachineId,
    string? Hostname,
    string BuildId,
    string Release,
    string Channel,
    IReadOnlyList<AppliedLevel> Applied,
    bool HasHolds,
    string Action,
    string? Code,
    int ExitCode,
    string? TargetSha256,
    long FirstSeenMs,
    long ReceivedMs,
    IReadOnlyList<RemovedPatchEntry> Removed)
{
    /// <summary>The highest level the host runs; 0 when it runs none (levels start at 1).</summary>
    public int HighestLevel => Applied.Count == 0 ? 0 : Applied.Max(a => a.Level);

    public bool Runs(string sha256) => Applied.Any(a => a.Sha256 == sha256);

    public static HostFacts Of(HostDocument doc)
    {
        var last = doc.Last;
        return new HostFacts(doc.Id, last.Hostname, last.BuildId, last.Release, last.Channel,
            [.. last.Applied.Select(a => new AppliedLevel(a.Sha256, a.Level))], last.Holds.Count > 0, last.Action, last.Code,
            last.ExitCode, last.Target?.Sha256, doc.FirstSeenMs, last.ReceivedMs, doc.Removed);
    }
}

/// <summary>A patch a host runs: its blob SHA-256 and level.</summary>
public readonly record struct AppliedLevel(string Sha256, int Level);
