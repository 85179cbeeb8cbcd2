using LivePatch.Client.Host;
using LivePatch.Core.Manifests;

namespace LivePatch.Client.Updates;

/// <summary>What the host should run: the chosen patch (or none) and the applied patches the manifest now revokes.</summary>
public sealed record UpdatePlan(
    HostKernel Kernel,
    VerifiedManifest Source,
    ManifestPatch? Target,
    IReadOnlyList<AppliedRecord> Revoked,
    IReadOnlyList<ManifestPatch> HeldBack,
    bool AlreadyApplied);

/// <summary>Step 7: the highest non-revoked level the host's policy allows (channel delay, pinned level, cutoff date).</summary>
public static class PatchSelector
{
    public static UpdatePlan Choose(HostKernel kernel, VerifiedManifest source, ClientOptions options, ClientState state, DateTimeOffset now)
    {
        var manifest = source.Manifest;
        var revokedHashes = manifest.Revoked.Select(r => r.Sha256).ToHashSet(StringComparer.Ordinal);
        var candidates = manifest.Patches.Where(p => !revokedHashes.Contains(p.Sha256)).ToList();
        var allowed = candidates.Where(p => Allowed(p, options, now)).ToList();
        var target = allowed.OrderByDescending(p => p.Level).FirstOrDefault();
        var held = candidates.Where(p => !allowed.Contains(p) && (target is null || p.Level > target.Level)).ToList();
        var applied = state.Applied.Where(a => a.BuildId == kernel.BuildId.Hex).ToList();
        var revoked = applied.Where(a => revokedHashes.Contains(a.Sha256)).ToList();
        var alreadyApplied = target is not null && applied.Any(a => a.Sha256 == target.Sha256);
        return new UpdatePlan(kernel, source, target, revoked, held, alreadyApplied);
    }

    private static bool Allowed(ManifestPatch patch, ClientOptions options, DateTimeOffset now) =>
        patch.Published + options.PatchDelay <= now
        && (options.PinLevel is not { } pin || patch.Level <= pin)
        && (options.PinCutoff is not { } cutoff || patch.Published <= cutoff);
}
