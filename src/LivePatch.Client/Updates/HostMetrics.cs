using LivePatch.Client.Host;

namespace LivePatch.Client.Updates;

/// <summary>What <c>lpatch status --prometheus FILE</c> knows about the host: the running kernel, the state, the loader's list,
/// the guard, and the last accepted manifest for this kernel verified again from the cache. Nothing is asked of a repository.</summary>
public sealed record HostMetricsSnapshot
{
    public required string Channel { get; init; }

    /// <summary>Null when the running kernel cannot be read.</summary>
    public HostKernel? Kernel { get; init; }

    public required ClientState State { get; init; }

    /// <summary>Module names the loader lists as enabled.</summary>
    public required IReadOnlySet<string> Loaded { get; init; }

    public required int Quarantined { get; init; }

    public required bool AutoApplyDisabled { get; init; }

    /// <summary>The policy's plan on the kept manifest; null when none is kept for this kernel or it no longer verifies.</summary>
    public UpdatePlan? Plan { get; init; }
}

/// <summary>The host's node_exporter textfile metrics (docs/client.md, "Metrics for node_exporter"), each derived from the
/// client's own state: coverage, the levels applied, offered and allowed, the last check, holds and quarantine.</summary>
public static class HostMetrics
{
    /// <summary>Collects a snapshot: the kernel, the loader's list and the kept manifest (verified), without the run lock, as
    /// <c>lpatch status</c> reads (every file is replaced by rename, so each read sees a whole file).</summary>
    public static async Task<HostMetricsSnapshot> CollectAsync(HostClient host, TimeProvider time, CancellationToken cancellation)
    {
        var options = host.Options;
        HostKernel? kernel = null;
        try
        {
            kernel = HostKernel.Read(options.KernelNotesPath, options.KernelReleasePath);
        }
        catch (Exception e) when (e is Core.LivePatchFormatException or IOException or UnauthorizedAccessException)
        {
            // Reported as an unknown coverage, with no kernel_info: the same as status's "kernel: unreadable".
        }

        var state = host.Engine.State;
        var loaded = (await host.Loader.ListAsync(cancellation)).Where(p => p.Enabled).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var kept = kernel is null ? null : KeptManifest.Load(options, host.Trust, state, kernel, time).Manifest;
        return new HostMetricsSnapshot
        {
            Channel = options.Channel,
            Kernel = kernel,
            State = state,
            Loaded = loaded,
            Quarantined = host.Guard.Quarantined().Count,
            AutoApplyDisabled = AutoApplySwitch.IsDisabled(options, out _),
            Plan = kept is null ? null : PatchSelector.Choose(kernel!, kept, options, state, time.GetUtcNow()),
        };
    }

    /// <summary>The metrics as Prometheus text.</summary>
    public static string Render(HostMetricsSnapshot s)
    {
        var text = new PrometheusTextWriter();
        var channel = ("channel", s.Channel);
        if (s.Kernel is { } kernel)
        {
            text.Metric("lpatch_kernel_info", "gauge", "The running kernel: its GNU build ID and release (always 1).")
                .Sample("lpatch_kernel_info", 1, ("build_id", kernel.BuildId.Hex), ("release", kernel.Release));
        }

        var coverage = Coverage(s);
        text.Metric("lpatch_kernel_coverage", "gauge",
            "Whether the repository has patches for the running kernel in the channel: 1 for the state that holds (covered, not-covered, unknown).");
        foreach (var state in new[] { "covered", "not-covered", "unknown" })
        {
            text.Sample("lpatch_kernel_coverage", state == coverage ? 1 : 0, channel, ("state", state));
        }

        WriteLevels(text, s, channel);
        WriteLastCheck(text, s.State.LastCheck);
        text.Metric("lpatch_patches_held", "gauge", "Patches an operator removed and holds (lpatch remove; lpatch unhold lets them back).")
            .Sample("lpatch_patches_held", s.State.Holds.Count);
        text.Metric("lpatch_patches_quarantined", "gauge", "Patches the crash-loop guard holds back (lpatch guard list).")
            .Sample("lpatch_patches_quarantined", s.Quarantined);
        text.Metric("lpatch_auto_apply_enabled", "gauge", "0 when automatic applying is off (lpatch.disable=1 or the disable file).")
            .Sample("lpatch_auto_apply_enabled", s.AutoApplyDisabled ? 0 : 1);
        return text.ToString();
    }

    /// <summary>Covered when a manifest for this kernel was accepted, not covered when the last verified answer says so for
    /// this kernel, otherwise unknown (never checked, or the kernel cannot be read).</summary>
    private static string Coverage(HostMetricsSnapshot s)
    {
        if (s.Kernel is not { } kernel)
        {
            return "unknown";
        }

        if (s.State.NotCovered is { } notCovered && notCovered.BuildId == kernel.BuildId.Hex && notCovered.Channel == s.Channel)
        {
            return "not-covered";
        }

        var suffix = $"/{s.Channel}/{kernel.BuildId.Hex}";
        return s.State.Versions.Keys.Any(k => k.EndsWith(suffix, StringComparison.Ordinal)) ? "covered" : "unknown";
    }

    private static void WriteLevels(PrometheusTextWriter text, HostMetricsSnapshot s, (string, string) channel)
    {
        var applied = s.Kernel is { } kernel ? s.State.Applied.Where(a => a.BuildId == kernel.BuildId.Hex).ToList() : [];
        text.Metric("lpatch_applied_level", "gauge", "The highest patch level lpatch applied to the running kernel (0: none).")
            .Sample("lpatch_applied_level", applied.Select(a => a.Level).DefaultIfEmpty(0).Max(), channel);
        if (s.Plan is { } plan)
        {
            // Non-revoked patches are the target (or the held one) and those the policy holds back above it.
            var offered = new[] { plan.Target, plan.Held }.Concat(plan.HeldBack).OfType<Core.Manifests.ManifestPatch>().ToList();
            text.Metric("lpatch_available_level", "gauge", "The highest level, not revoked, that the last accepted manifest offers this kernel (0: none).")
                .Sample("lpatch_available_level", offered.Select(p => p.Level).DefaultIfEmpty(0).Max(), channel);
            text.Metric("lpatch_allowed_level", "gauge", "The highest offered level the host's policy allows now (patchDelay, pinLevel, pinCutoff; 0: none).")
                .Sample("lpatch_allowed_level", (plan.Target ?? plan.Held)?.Level ?? 0, channel);
        }

        text.Metric("lpatch_patch_loaded", "gauge", "Each patch lpatch applied to the running kernel: 1 when the loader lists it enabled, 0 when not.");
        foreach (var a in applied)
        {
            text.Sample("lpatch_patch_loaded", s.Loaded.Contains(a.Name) ? 1 : 0, channel, ("patch", a.Name), ("level", a.Level.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    private static void WriteLastCheck(PrometheusTextWriter text, CheckRecord? last)
    {
        if (last is null)
        {
            return; // never checked: no samples, and the coverage says unknown
        }

        text.Metric("lpatch_last_check_timestamp_seconds", "gauge", "When the last check, apply or boot apply ended (Unix time).")
            .Sample("lpatch_last_check_timestamp_seconds", last.At.ToUnixTimeMilliseconds() / 1000.0);
        text.Metric("lpatch_last_check_info", "gauge", "How the last run ended: its outcome and code (empty when it succeeded); always 1.")
            .Sample("lpatch_last_check_info", 1, ("outcome", last.Outcome), ("code", last.Code ?? ""));
        var exit = last.ExitCode ?? (last.Code is null ? 0 : null); // a record from before the exit code was kept
        if (exit is { } code)
        {
            text.Metric("lpatch_last_check_exit_code", "gauge", "The exit code of the last run (0 success, 1 refused, 2 configuration, 3 unreachable, 4 loader, 5 busy).")
                .Sample("lpatch_last_check_exit_code", code);
        }
    }
}
