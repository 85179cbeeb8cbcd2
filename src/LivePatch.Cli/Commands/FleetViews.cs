using System.Globalization;
using LivePatch.Core.Repository;

namespace LivePatch.Cli.Commands;

/// <summary>Text forms of the fleet answers: compact tables and counts. Everything a host reported is printed with control
/// characters escaped (<see cref="EscapingWriter"/>), whatever the server let through.</summary>
internal static class FleetViews
{
    public static void WriteHosts(TextWriter output, IReadOnlyList<HostInfo> hosts)
    {
        output = new EscapingWriter(output);
        if (hosts.Count > 0)
        {
            RepositoryViews.WriteTable(output, ["MACHINE-ID", "HOSTNAME", "STATE", "KERNEL", "CHANNEL", "LEVEL", "AVAILABLE", "LAST-SEEN"],
                hosts.Select(h => new[]
                {
                    h.MachineId, h.Hostname ?? "-", h.State, h.Kernel.Release, h.Channel, Levels(h.Applied), Number(h.AvailableLevel),
                    RepositoryViews.Time(h.LastSeen),
                }));
        }

        output.WriteLine(Counts(hosts.Count, hosts.GroupBy(h => h.State).ToDictionary(g => g.Key, g => g.Count())));
    }

    public static void WriteHost(TextWriter output, HostDetail detail)
    {
        output = new EscapingWriter(output);
        var h = detail.Host;
        output.WriteLine($"machine-id: {h.MachineId}");
        output.WriteLine($"hostname: {h.Hostname ?? "-"}");
        output.WriteLine($"state: {h.State}{(h.States.Count > 1 ? $" (also {string.Join(", ", h.States.Skip(1))})" : "")}");
        output.WriteLine($"kernel: {h.Kernel.Release} (build ID {h.Kernel.BuildId})");
        output.WriteLine($"channel: {h.Channel}{(h.RepositoryId is null ? "" : $" of repository {h.RepositoryId}")}");
        output.WriteLine($"applied: {(h.Applied.Count == 0 ? "none" : string.Join("; ", h.Applied.Select(Applied)))}");
        output.WriteLine($"available: {(h.AvailableLevel is { } level ? $"level {level}" : "none (no live patch for this kernel in this channel)")}");
        output.WriteLine($"holds: {(h.Holds.Count == 0 ? "none" : string.Join(' ', h.Holds))}");
        output.WriteLine($"quarantined: {(h.Quarantined.Count == 0 ? "none" : string.Join("; ", h.Quarantined.Select(q => $"{q.Name} {q.Sha256[..12]} ({q.Reason})")))}");
        output.WriteLine($"last run: {Outcome(h.Outcome)}");
        output.WriteLine($"last seen: {RepositoryViews.Time(h.LastSeen)} (host clock {RepositoryViews.Time(h.Reported)}); first seen {RepositoryViews.Time(h.FirstSeen)}");
        output.WriteLine($"client: lpatch {h.ClientVersion}{(h.UptimeSeconds is { } up ? $", up {TimeSpan.FromSeconds(up):d\\.hh\\:mm\\:ss}" : "")}, " +
            $"reported with key {h.Reporter ?? "-"} from {h.Address ?? "-"}");
        output.WriteLine($"history ({detail.History.Count}, newest first):");
        RepositoryViews.WriteTable(output, ["RECEIVED", "COMMAND", "ACTION", "EXIT", "CODE", "KERNEL", "LEVEL"],
            detail.History.Select(r => new[]
            {
                RepositoryViews.Time(r.Received), r.Outcome.Command, r.Outcome.Action, r.Outcome.ExitCode.ToString(CultureInfo.InvariantCulture),
                r.Outcome.Code ?? "-", r.Kernel.Release, r.Applied.Count == 0 ? "-" : string.Join(',', r.Applied.Select(a => a.Level)),
            }));
    }

    public static void WriteSummary(TextWriter output, FleetSummary s)
    {
        output.WriteLine($"hosts: {s.Hosts} on {s.Kernels} kernel build(s)");
        output.WriteLine($"covered: {s.Covered} ({s.Coverage.ToString("0.#", CultureInfo.InvariantCulture)}%) run a kernel with a live patch in their channel");
        output.WriteLine($"silent: {s.Stale} without a report for longer than the server's StaleAfter (stale, whatever their state below)");
        foreach (var state in HostStates.All)
        {
            output.WriteLine($"{state}: {s.States.GetValueOrDefault(state)}");
        }
    }

    public static void WriteCve(TextWriter output, CveExposure e)
    {
        output = new EscapingWriter(output);
        var c = e.Hosts;
        output.WriteLine($"{e.Cve}: {c.Fixed} of {c.Total} reporting host(s) fixed, {c.Exposed} exposed " +
            $"({c.NoFix} no fix for their kernel, {c.FixNotInChannel} fix not in their channel, {c.NotApplied} fix not applied)");
        output.WriteLine($"kernels with a live fix: {e.KernelCount}{Shown(e.Kernels.Count, e.KernelCount)}");
        if (e.Kernels.Count > 0)
        {
            RepositoryViews.WriteTable(output, ["BUILD-ID", "KERNEL", "PATCHES"], e.Kernels.Select(k => new[]
            {
                k.BuildId, k.Release, string.Join("; ", k.Patches.Select(p => $"{p.Name} level {p.Level} (id {p.Id}, {string.Join(',', p.Channels)})")),
            }));
        }

        WriteCveHosts(output, "exposed", e.Exposed, c.Exposed);
        WriteCveHosts(output, "fixed", e.Fixed, c.Fixed);
    }

    private static void WriteCveHosts(TextWriter output, string title, IReadOnlyList<CveHost> hosts, int count)
    {
        output.WriteLine($"{title}: {count}{Shown(hosts.Count, count)}");
        if (hosts.Count > 0)
        {
            RepositoryViews.WriteTable(output, ["MACHINE-ID", "HOSTNAME", "KERNEL", "CHANNEL", "LEVEL", "FIX-LEVEL", "STATUS"], hosts.Select(h => new[]
            {
                h.MachineId, h.Hostname ?? "-", h.Release, h.Channel, Number(h.Level), Number(h.FixLevel), h.Status,
            }));
        }
    }

    /// <summary>"7 hosts: 3 patched, 1 behind, …" in precedence order, states with none left out.</summary>
    private static string Counts(int total, IReadOnlyDictionary<string, int> byState) => total == 0 ? "no hosts"
        : $"{total} host{(total == 1 ? "" : "s")}: " + string.Join(", ", HostStates.All.Where(byState.ContainsKey).Select(s => $"{byState[s]} {s}"));

    private static string Applied(HostPatch p) =>
        $"{p.Name} level {p.Level}{(p.PatchId is { } id ? $" (patch {id})" : " (not in the repository)")}{(p.Revoked ? " REVOKED" : "")}" +
        (p.Cves.Count > 0 ? " " + string.Join(' ', p.Cves) : "");

    private static string Outcome(ReportedOutcome o) =>
        $"{o.Command} {o.Action}{(o.Code is null ? "" : $" [{o.Code}]")}, exit {o.ExitCode}" +
        (o.Target is { } t ? $", target {t.Name} level {t.Level}" : "") + (string.IsNullOrEmpty(o.Message) ? "" : $": {o.Message}");

    private static string Levels(IReadOnlyList<HostPatch> applied) =>
        applied.Count == 0 ? "-" : string.Join(',', applied.Select(a => a.Level.ToString(CultureInfo.InvariantCulture)));

    private static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Shown(int shown, int count) => shown < count ? $" (the first {shown} listed)" : "";
}
