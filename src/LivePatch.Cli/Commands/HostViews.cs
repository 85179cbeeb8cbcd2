using System.CommandLine;
using System.Text.Json;
using LivePatch.Client;
using LivePatch.Client.Host;
using LivePatch.Client.Reports;
using LivePatch.Client.Updates;
using LivePatch.Core;
using LivePatch.Core.Manifests;

namespace LivePatch.Cli.Commands;

/// <summary>Turns host state and update results into what lpatch prints, and results into exit codes.</summary>
internal static class HostViews
{
    public static async Task<StatusView> StatusAsync(HostClient host, CancellationToken cancellation)
    {
        KernelView? kernel = null;
        string? kernelError = null;
        try
        {
            var k = HostKernel.Read(host.Options.KernelNotesPath, host.Options.KernelReleasePath);
            kernel = new KernelView(k.BuildId.Hex, k.Release);
        }
        catch (Exception e) when (e is Core.LivePatchFormatException or IOException or UnauthorizedAccessException)
        {
            kernelError = e.Message;
        }

        var state = host.Engine.State;
        var loaded = (await host.Loader.ListAsync(cancellation)).Where(p => p.Enabled).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var applied = state.Applied.Select(a => new AppliedView(a.Name, a.Level, a.Sha256, a.Cves, a.AppliedAt, loaded.Contains(a.Name))).ToList();
        var unknown = loaded.Where(n => state.Applied.All(a => a.Name != n)).Order(StringComparer.Ordinal).ToList();
        var last = state.LastCheck is { } c ? new LastCheckView(c.At, c.Outcome, c.Code, c.Message, c.Repository, c.ExitCode) : null;
        var quarantined = host.Guard.Quarantined().Select(q => new QuarantineView(q.Sha256, $"{q.Name}: {q.Reason}")).ToList();
        var disabled = AutoApplySwitch.IsDisabled(host.Options, out var why) ? why : null;
        var revocations = state.Revocations.Select(r => new RevocationView(r.Name, r.Level, r.Sha256, r.Reason, r.RevokedAt, r.WasApplied)).ToList();
        var notCovered = state.NotCovered is { } n ? NotCovered(n, kernel is null || kernel.BuildId == n.BuildId) : null;
        return new StatusView(kernel, kernelError, applied, unknown, last, quarantined, disabled, state.Holds, revocations, notCovered,
            ReportOf(host.Options));
    }

    /// <summary>Everything here may have come from a repository: printed with control characters escaped (<see cref="DisplayText"/>).</summary>
    public static void WriteStatus(TextWriter output, StatusView s)
    {
        output = new EscapingWriter(output);
        output.WriteLine(s.Kernel is { } k ? $"kernel:       {k.Release} (build ID {k.BuildId})" : $"kernel:       unreadable: {s.KernelError}");
        output.WriteLine($"applied:      {(s.Applied.Count == 0 ? "none" : "")}");
        foreach (var a in s.Applied)
        {
            var cves = a.Cves.Count > 0 ? " " + string.Join(" ", a.Cves) : "";
            output.WriteLine($"  {a.Name} level {a.Level}{cves}, applied {a.AppliedAt:u}{(a.Loaded ? "" : " (NOT LOADED)")}");
        }

        foreach (var name in s.LoadedNotRecorded)
        {
            output.WriteLine($"  {name} (loaded, not applied by lpatch)");
        }

        output.WriteLine(s.LastCheck is { } c
            ? $"last check:   {c.At:u} {c.Outcome}{(c.Code is null ? "" : $" [{c.Code}]")}: {c.Message}"
            : "last check:   never");
        if (s.NotCovered is { } n)
        {
            output.WriteLine($"coverage:     not covered: {n.Message}, checked {n.At:u}{(n.RunningKernel ? "" : " (not the running kernel)")}");
        }

        foreach (var h in s.Holds)
        {
            output.WriteLine($"held:         {h} (removed by an operator); 'lpatch unhold {h}' lets it be applied again");
        }

        foreach (var r in s.Revocations)
        {
            output.WriteLine($"revoked:      {r.Name} level {r.Level} at {r.RevokedAt:u}{(r.WasApplied ? " (was applied here)" : "")}: {r.Reason}");
        }

        foreach (var q in s.Quarantined)
        {
            output.WriteLine($"quarantined:  {q.Sha256} ({q.Reason}); 'lpatch guard clear' to retry");
        }

        if (s.AutoApplyDisabled is { } why)
        {
            output.WriteLine($"auto-apply:   off ({why})");
        }

        output.WriteLine(s.Report switch
        {
            null or { Enabled: false } => "report:       off",
            { At: null } => $"report:       on, to {s.Report.Url}; none made yet",
            { Outcome: ReportRecord.Sent } r => $"report:       sent {r.At:u} after {r.Command} to {r.Url} as host {r.MachineId}",
            var r => $"report:       {r.Outcome} {r.At:u} after {r.Command} [{r.Code}]: {r.Message}",
        });
    }

    private static ReportView ReportOf(ClientOptions options)
    {
        if (options.Report is null)
        {
            return new ReportView(false, null, null, null, null, null, null, null);
        }

        var last = ReportRecordFile.LastOrNull(options.StateDirectory);
        return new ReportView(true, options.Report.Url, last?.At, last?.Outcome, last?.Code, last?.Message, last?.MachineId, last?.Command);
    }

    public static int WriteResult(ParseResult parse, UpdateResult result, bool json)
    {
        var exit = ExitCodeOf(result);
        if (json)
        {
            // JSON escapes control characters itself.
            parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(ToView(result, exit), HostJson.Default.UpdateView));
            return exit;
        }

        // Messages quote what repositories sent (names, CVE ids, reasons): escape control characters before a terminal sees them.
        var output = new EscapingWriter(parse.InvocationConfiguration.Output);
        var error = new EscapingWriter(parse.InvocationConfiguration.Error);
        foreach (var attempt in result.Attempts.Where(_ => result.Succeeded))
        {
            error.WriteLine($"lpatch: skipped a repository: {attempt}");
        }

        if (result.Failure is { } f)
        {
            foreach (var attempt in result.Attempts.Where(a => a != f))
            {
                error.WriteLine($"lpatch: also tried: {attempt}");
            }

            error.WriteLine($"lpatch: error [{f.Code}]: {f.Message}");
            return exit;
        }

        output.WriteLine($"{result.ActionName}: {result.Message}");
        if (result.Plan is { } plan)
        {
            output.WriteLine($"  kernel {plan.Kernel.Release} ({plan.Kernel.BuildId}), {plan.Source.Manifest.Channel} manifest version {plan.Source.Manifest.Version} from {plan.Source.Repository}");
            foreach (var held in plan.HeldBack)
            {
                output.WriteLine($"  held back by policy: {held.Name} level {held.Level} (published {held.Published:u})");
            }

            foreach (var revoked in plan.Source.Manifest.Revoked)
            {
                output.WriteLine($"  revoked by the vendor: {revoked.Name} level {revoked.Level}: {revoked.Reason}");
            }
        }

        return exit;
    }

    public static int ExitCodeOf(UpdateResult result) => result.Failure is { } f ? ErrorCategories.ExitCode(f.Category) : ExitCodes.Success;

    private static UpdateView ToView(UpdateResult r, int exit)
    {
        var plan = r.Plan;
        return new UpdateView(r.ActionName, r.Message, exit, Failure(r.Failure), plan?.Source.Repository ?? r.NotCovered?.Server, plan?.Source.Manifest.Version,
            plan?.Target is { } t ? Patch(t) : null,
            plan?.Source.Manifest.Patches.Select(Patch).ToList() ?? [],
            plan?.HeldBack.Select(Patch).ToList() ?? [],
            plan?.Revoked.Select(a => $"{a.Name} level {a.Level}").ToList() ?? [],
            plan?.Source.Manifest.Revoked.Select(v => new RevocationView(v.Name, v.Level, v.Sha256, v.Reason, v.RevokedAt, plan.Revoked.Any(a => a.Applied.Sha256 == v.Sha256))).ToList() ?? [],
            r.Attempts.Select(a => Failure(a)!).ToList(),
            r.NotCovered is { } n ? NotCovered(n, runningKernel: true) : null);
    }

    private static NotCoveredView NotCovered(NotCoveredRecord n, bool runningKernel) =>
        new(n.Repository, n.Channel, n.BuildId, n.Release, n.Prefix, n.BinVersion, n.Issued, n.At, n.Server, runningKernel, n.Describe());

    private static PatchView Patch(ManifestPatch p) => new(p.Name, p.Level, p.Sha256, p.Size, p.Cves, p.Severity, p.Published);

    private static FailureView? Failure(UpdateFailure? f) => f is null ? null : new FailureView(f.Code, f.Category.ToString().ToLowerInvariant(), f.Message);
}

/// <summary>A writer that escapes control characters in each line (<see cref="DisplayText.Escape"/>) before the terminal sees it.</summary>
internal sealed class EscapingWriter(TextWriter inner) : TextWriter
{
    public override System.Text.Encoding Encoding => inner.Encoding;

    public override void Write(char value) => inner.Write(DisplayText.Escape(value.ToString()));

    public override void Write(string? value) => inner.Write(DisplayText.Escape(value ?? ""));

    public override void WriteLine(string? value) => inner.WriteLine(DisplayText.Escape(value ?? ""));

    public override void WriteLine() => inner.WriteLine();
}

/// <summary>A one-line download progress meter on a terminal (only when stderr is one).</summary>
internal sealed class TerminalProgress(TextWriter error) : IProgress<DownloadProgress>
{
    private int _lastPercent = -1;

    public void Report(DownloadProgress value)
    {
        var percent = value.Total == 0 ? 100 : (int)(value.Received * 100 / value.Total);
        if (percent != _lastPercent)
        {
            _lastPercent = percent;
            error.Write($"\rdownloading {value.Sha256[..12]}…  {value.Received}/{value.Total} bytes  {percent,3}%");
        }
    }

    public void Done()
    {
        if (_lastPercent >= 0)
        {
            error.WriteLine();
        }
    }
}
