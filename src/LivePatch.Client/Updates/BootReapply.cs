using System.Security.Cryptography;
using LivePatch.Client.Host;
using LivePatch.Client.Loading;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Signing;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Updates;

/// <summary><c>lpatch apply --boot</c>: early in boot, before the network, re-applies from the local cache the patches this host
/// ran on this very kernel before the reboot, when everything that allowed them then still holds.</summary>
/// <remarks>It is given no repository client and builds none: it cannot reach the network. It never applies anything the state
/// does not record as applied to the running build ID (a new level always needs a fresh, verified manifest). The kept manifest
/// may have expired: restoring what the host already ran cannot be a freeze attack, and its revocations still count
/// (docs/loaders.md, "Re-apply at boot").</remarks>
public sealed class BootReapply(
    ClientOptions options,
    TrustPolicy policy,
    ModuleKeyring keyring,
    IPatchLoader loader,
    CrashLoopGuard guard,
    TimeProvider time)
{
    /// <summary>Where the plan says the manifest came from: the host's own cache, not a repository.</summary>
    public const string KeptSource = Updates.KeptManifest.Source;

    private readonly StateSession _state = new(new StateStore(options.StateDirectory));
    private readonly PatchLoading _loading = new(options, loader, guard, time);

    /// <summary>The state as this run sees it.</summary>
    public ClientState State => _state.Current;

    public async Task<UpdateResult> ApplyAsync(CancellationToken cancellation)
    {
        using var runLock = RunLock.Acquire(options.StateDirectory, options.LockWait, TimeProvider.System);
        _state.Begin();
        PrivateDirectory.Ensure(options.CacheDirectory, "cacheDirectory");

        // The guard judges the last boot first: a host that went down soon after an apply (a boot re-apply included) has the
        // module quarantined before anything below can load it again.
        guard.ReconcileAtStart();
        if (AutoApplySwitch.IsDisabled(options, out var reason))
        {
            return Record(new UpdateResult { Action = UpdateAction.Disabled, Message = $"automatic applying is off: {reason}" });
        }

        return Record(await ReapplyAsync(cancellation));
    }

    private async Task<UpdateResult> ReapplyAsync(CancellationToken cancellation)
    {
        // The running kernel: only patches applied to this exact build ID are restored.
        HostKernel kernel;
        try
        {
            kernel = HostKernel.Read(options.KernelNotesPath, options.KernelReleasePath);
        }
        catch (Exception e) when (e is LivePatchFormatException or IOException or UnauthorizedAccessException)
        {
            return UpdateResult.Failed(new UpdateFailure(ClientErrorCodes.KernelUnreadable, $"cannot read the running kernel: {e.Message}"));
        }

        var loaded = (await loader.ListAsync(cancellation)).Where(p => p.Enabled).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var records = _state.Current.Applied.Where(a => a.BuildId == kernel.BuildId.Hex).OrderBy(a => a.AppliedAt).ToList();
        if (records.Count == 0)
        {
            return NothingToDo(_state.Current.Applied.Count == 0
                ? "nothing was applied before this boot"
                : $"the patches applied before were for kernel build {string.Join(", ", _state.Current.Applied.Select(a => a.BuildId).Distinct())}; " +
                  $"this boot runs {kernel.Release} ({kernel.BuildId})");
        }

        if (records.All(r => loaded.Contains(r.Name)))
        {
            return NothingToDo($"{string.Join(", ", records.Select(r => $"{r.Name} level {r.Level}"))} is loaded already");
        }

        var (source, missing) = KeptManifest(kernel);
        if (source is null)
        {
            return UpdateResult.Failed(missing!);
        }

        var reapplied = new List<string>();
        foreach (var record in records.Where(r => !loaded.Contains(r.Name)))
        {
            var outcome = await ReapplyOneAsync(record, source, kernel, cancellation);
            if (outcome is not null)
            {
                return reapplied.Count == 0 ? outcome : outcome with { Message = $"{outcome.Message} (re-applied before it: {string.Join(", ", reapplied)})" };
            }

            reapplied.Add($"{record.Name} level {record.Level}");
        }

        return new UpdateResult
        {
            Action = UpdateAction.BootReapplied, Plan = PlanOf(kernel, source, null),
            Message = $"re-applied {string.Join(", ", reapplied)} from the cache, as before the reboot",
        };
    }

    /// <summary>One recorded patch: every condition that allowed it before the reboot, checked again; null when it is loaded.</summary>
    private async Task<UpdateResult?> ReapplyOneAsync(AppliedRecord record, VerifiedManifest source, HostKernel kernel, CancellationToken cancellation)
    {
        var manifest = source.Manifest;
        if (_state.Current.Holds.Contains(record.Name))
        {
            return new UpdateResult { Action = UpdateAction.Held, Message = $"{record.Name} is held ('lpatch unhold {record.Name}' lets it be applied again)" };
        }

        if (RevocationOf(record, manifest) is { } revoked)
        {
            return UpdateResult.Failed(UpdateFailure.Refused(ClientErrorCodes.BootPatchRevoked,
                $"{record.Name} level {record.Level} is revoked by the kept manifest version {manifest.Version} ({revoked.Reason}); not re-applied."),
                PlanOf(kernel, source, null));
        }

        var patch = manifest.Patches.FirstOrDefault(p => p.Sha256 == record.Sha256 && p.Name == record.Name);
        if (patch is null)
        {
            return UpdateResult.Failed(UpdateFailure.Refused(ClientErrorCodes.BootPatchNotOffered,
                $"the kept manifest version {manifest.Version} no longer offers {record.Name} level {record.Level}; not re-applied."), PlanOf(kernel, source, null));
        }

        var plan = PlanOf(kernel, source, patch);
        if (guard.RefusalOrNull(record.Sha256, record.ModuleDigest) is { } quarantined)
        {
            return UpdateResult.Failed(quarantined, plan);
        }

        var (module, invalid) = CachedModule(record, patch, kernel);
        if (invalid is not null)
        {
            return UpdateResult.Failed(invalid, plan);
        }

        var result = await _loading.ReapplyAtBootAsync(plan, module!, cancellation);
        return result.Success ? null : UpdateResult.Failed(new UpdateFailure(ClientErrorCodes.OfLoader(result.Code), result.Message), plan);
    }

    /// <summary>The last accepted manifest for this kernel, as kept in the cache (<see cref="KeptManifest"/>).</summary>
    private (VerifiedManifest? Manifest, UpdateFailure? Failure) KeptManifest(HostKernel kernel) =>
        Updates.KeptManifest.Load(options, policy, _state.Current, kernel, time);

    private RevokedPatch? RevocationOf(AppliedRecord record, Manifest manifest) =>
        manifest.Revoked.FirstOrDefault(r => r.Sha256 == record.Sha256
            || (record.ModuleDigest is not null && (r.Sha256 == record.ModuleDigest || _state.Current.ModuleDigests.GetValueOrDefault(r.Sha256) == record.ModuleDigest)));

    /// <summary>The cached blob, checked as step 9 checks a download (hash and size, then <see cref="ModuleChecker"/>: signature
    /// against the keyring and the manifest's signer, <c>livepatch=Y</c>, name, vermagic), and its digest the one applied before.</summary>
    private (VerifiedModule? Module, UpdateFailure? Failure) CachedModule(AppliedRecord record, ManifestPatch patch, HostKernel kernel)
    {
        var path = Path.Combine(options.CacheDirectory, "sha256", patch.Sha256);
        byte[]? bytes;
        try
        {
            bytes = PrivateFile.ReadBoundedOrNull(path, (int)Math.Min(options.MaxModuleBytes, int.MaxValue));
        }
        catch (LivePatchFormatException e)
        {
            return (null, UpdateFailure.Refused(ClientErrorCodes.BootModuleChanged, $"{path}: {e.Message}"));
        }

        if (bytes is null)
        {
            return (null, new UpdateFailure(ClientErrorCodes.BootModuleMissing, $"{record.Name} level {record.Level} is not in the cache ({path})."));
        }

        if (bytes.LongLength != patch.Size || Convert.ToHexStringLower(SHA256.HashData(bytes)) != patch.Sha256)
        {
            return (null, UpdateFailure.Refused(ClientErrorCodes.BootModuleChanged,
                $"the cached {path} is not the module the manifest names (size or SHA-256 differs)."));
        }

        var (module, refused) = new ModuleChecker(keyring, (int)options.MaxModuleBytes).Check(new DownloadedModule(patch, bytes), kernel);
        if (module is not null && record.ModuleDigest is not null && module.Digest != record.ModuleDigest)
        {
            return (null, UpdateFailure.Refused(ClientErrorCodes.BootModuleChanged,
                $"{record.Name} level {record.Level} decompresses to another module than the one applied before."));
        }

        return (module, refused);
    }

    private static UpdatePlan PlanOf(HostKernel kernel, VerifiedManifest source, ManifestPatch? target) =>
        new(kernel, source, target, [], [], AlreadyApplied: false);

    private static UpdateResult NothingToDo(string why) => new() { Action = UpdateAction.BootNothingToDo, Message = why };

    private UpdateResult Record(UpdateResult result)
    {
        _state.Update(s => s with { LastCheck = CheckRecord.Of(result, time.GetUtcNow(), null) }, durable: false);
        return result;
    }
}
