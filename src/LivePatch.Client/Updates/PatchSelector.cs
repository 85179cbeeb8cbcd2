using LivePatch.Client.Host;
using LivePatch.Core.Manifests;

namespace LivePatch.Client.Updates;

/// <summary>What the host should run: the chosen patch (or none) and the applied patches the manifest now revokes.</summary>
/// <remarks><c>Held</c>: the best patch, when it is one an operator removed (<c>lpatch remove</c>); nothing is applied until
/// <c>lpatch unhold</c>. <c>AlreadyApplied</c>: the target's module is the one this host already runs (same blob, or same
/// module digest).</remarks>
public sealed record UpdatePlan(
    HostKernel Kernel,
    VerifiedManifest Source,
    ManifestPatch? Target,
    IReadOnlyList<RevokedApplied> Revoked,
    IReadOnlyList<ManifestPatch> HeldBack,
    bool AlreadyApplied,
    ManifestPatch? Held = null);

/// <summary>An applied patch the manifest revokes, with the vendor's reason.</summary>
public sealed record RevokedApplied(AppliedRecord Applied, string Reason)
{
    public string Name => Applied.Name;

    public int Level => Applied.Level;
}

/// <summary>Step 7: the highest non-revoked level the host's policy allows (channel delay, pinned level, cutoff date).</summary>
/// <remarks>Revocations and "already applied" match on the module the kernel loads where the host knows it (the digest of
/// the decompressed module, <see cref="ClientState.ModuleDigests"/>), so a revoked module re-wrapped in a new compressed
/// container is still revoked, and an applied one is not applied twice.</remarks>
public static class PatchSelector
{
    public static UpdatePlan Choose(HostKernel kernel, VerifiedManifest source, ClientOptions options, ClientState state, DateTimeOffset now)
    {
        var manifest = source.Manifest;
        var revokedBlobs = manifest.Revoked.ToDictionary(r => r.Sha256, r => r.Reason, StringComparer.Ordinal);
        var revokedModules = manifest.Revoked
            .Select(r => (Digest: state.ModuleDigests.GetValueOrDefault(r.Sha256), r.Reason))
            .Where(r => r.Digest is not null)
            .DistinctBy(r => r.Digest)
            .ToDictionary(r => r.Digest!, r => r.Reason, StringComparer.Ordinal);
        var candidates = manifest.Patches.Where(p => !IsRevoked(p.Sha256, state.ModuleDigests.GetValueOrDefault(p.Sha256), revokedBlobs, revokedModules)).ToList();
        var allowed = candidates.Where(p => Allowed(p, options, now)).ToList();
        var target = allowed.OrderByDescending(p => p.Level).FirstOrDefault();
        var heldBack = candidates.Where(p => !allowed.Contains(p) && (target is null || p.Level > target.Level)).ToList();

        var applied = state.Applied.Where(a => a.BuildId == kernel.BuildId.Hex).ToList();
        var revoked = applied
            .Select(a => (Applied: a, Reason: ReasonOrNull(a, revokedBlobs, revokedModules)))
            .Where(r => r.Reason is not null)
            .Select(r => new RevokedApplied(r.Applied, r.Reason!))
            .ToList();
        var held = target is not null && state.Holds.Contains(target.Name, StringComparer.Ordinal);
        var alreadyApplied = target is not null && applied.Any(a => IsSameModule(a, target, state));
        return new UpdatePlan(kernel, source, held ? null : target, revoked, heldBack, alreadyApplied && !held, held ? target : null);
    }

    /// <summary>True when <paramref name="applied"/> is the module <paramref name="patch"/> names: the same blob, or a blob
    /// this host verified before and found to hold the same module.</summary>
    public static bool IsSameModule(AppliedRecord applied, ManifestPatch patch, ClientState state) =>
        applied.Sha256 == patch.Sha256
        || (applied.ModuleDigest is not null && state.ModuleDigests.GetValueOrDefault(patch.Sha256) == applied.ModuleDigest);

    private static bool IsRevoked(string blob, string? digest, Dictionary<string, string> revokedBlobs, Dictionary<string, string> revokedModules) =>
        revokedBlobs.ContainsKey(blob) || (digest is not null && revokedModules.ContainsKey(digest));

    private static string? ReasonOrNull(AppliedRecord a, Dictionary<string, string> revokedBlobs, Dictionary<string, string> revokedModules) =>
        revokedBlobs.GetValueOrDefault(a.Sha256) ?? (a.ModuleDigest is null ? null : revokedModules.GetValueOrDefault(a.ModuleDigest));

    // Dates are bounded by the manifest rules (2000-2200) and patchDelay by the configuration, so this cannot overflow.
    private static bool Allowed(ManifestPatch patch, ClientOptions options, DateTimeOffset now) =>
        patch.Published + options.PatchDelay <= now
        && (options.PinLevel is not { } pin || patch.Level <= pin)
        && (options.PinCutoff is not { } cutoff || patch.Published <= cutoff);
}
