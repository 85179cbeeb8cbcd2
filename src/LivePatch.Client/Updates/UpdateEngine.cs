using LivePatch.Client.Host;
using LivePatch.Client.Loading;
using LivePatch.Core;
using LivePatch.Core.Signing;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Updates;

/// <summary>The host's update routine: the ten steps of the design, one method each, in order. Any failure stops with nothing
/// loaded and the trusted state kept. One run at a time (<see cref="RunLock"/>; its wait is wall-clock time between
/// processes, so it uses the system clock, not the injected one that decides expiry).</summary>
public sealed class UpdateEngine(
    ClientOptions options,
    TrustPolicy policy,
    ModuleKeyring keyring,
    IPatchLoader loader,
    CrashLoopGuard guard,
    TimeProvider time,
    Func<Uri, RepositoryClient> connect)
{
    private readonly StateSession _state = new(new StateStore(options.StateDirectory));
    private readonly PatchLoading _loading = new(options, loader, guard, time);

    private enum Mode
    {
        Check,
        DryRun,
        Apply,
    }

    /// <summary>Steps 1 to 9: what the repositories offer this kernel, the module downloaded and verified as apply would; records
    /// the check, loads nothing. When it says <c>would-apply</c>, apply applies (unless the loader fails).</summary>
    public Task<UpdateResult> CheckAsync(CancellationToken cancellation) => RunAsync(Mode.Check, null, cancellation);

    /// <summary>Steps 1 to 10: check, then hand the verified module to the loader; revoked patches are moved off.</summary>
    public Task<UpdateResult> ApplyAsync(bool dryRun, IProgress<DownloadProgress>? progress, CancellationToken cancellation) =>
        RunAsync(dryRun ? Mode.DryRun : Mode.Apply, progress, cancellation);

    /// <summary>Disables and unloads an applied patch by name (operator command) and holds it: the timer does not apply it again
    /// until <c>lpatch unhold</c>. A name that is not applied is a configuration error (<c>not-applied</c>).</summary>
    public async Task<UpdateResult> RemoveAsync(string name, CancellationToken cancellation)
    {
        using var runLock = RunLock.Acquire(options.StateDirectory, options.LockWait, TimeProvider.System);
        _state.Begin();
        return await _loading.RemoveByOperatorAsync(_state, name, cancellation);
    }

    /// <summary>The state as this run sees it.</summary>
    public ClientState State => _state.Current;

    private async Task<UpdateResult> RunAsync(Mode mode, IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        using var runLock = RunLock.Acquire(options.StateDirectory, options.LockWait, TimeProvider.System);
        _state.Begin(); // the daemon runs one engine for ever: each run reads the state anew under the lock
        PrivateDirectory.Ensure(options.CacheDirectory, "cacheDirectory"); // a lax or foreign cache is refused before anything is read from it
        if (mode == Mode.Apply)
        {
            guard.ReconcileAtStart();
            if (AutoApplySwitch.IsDisabled(options, out var reason))
            {
                return Record(new UpdateResult { Action = UpdateAction.Disabled, Message = $"automatic applying is off: {reason}" });
            }

            await _loading.ForgetUnloadedAsync(_state, cancellation);
        }

        var result = await UpdateAsync(mode, progress, cancellation);
        return mode == Mode.DryRun ? result : Record(result);
    }

    private async Task<UpdateResult> UpdateAsync(Mode mode, IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        // Step 1: the running kernel.
        var (kernel, unreadable) = ReadKernel();
        if (unreadable is not null)
        {
            return UpdateResult.Failed(unreadable);
        }

        // Steps 2 to 6, repository by repository: the first one whose manifest (or, on a 404, coverage bin) passes every
        // check wins.
        var lookup = new ManifestLookup(options, policy, time, _state, connect);
        var (manifest, notCovered, refused, attempts) = await lookup.FindAsync(kernel!, cancellation);
        if (refused is not null)
        {
            return UpdateResult.Failed(refused, null, attempts);
        }

        if (notCovered is not null)
        {
            return NotCovered(notCovered, attempts);
        }

        RememberManifest(manifest!);

        // Step 7: the target.
        var plan = ChooseTarget(kernel!, manifest!);
        if (plan.Target is null || plan.AlreadyApplied)
        {
            return (mode == Mode.Apply ? await _loading.RemoveRevokedAsync(_state, plan, cancellation) : null) ?? UpdateDescription.Of(plan, mode != Mode.Apply, attempts);
        }

        if (QuarantineOf(plan.Target.Sha256, _state.Current.ModuleDigests.GetValueOrDefault(plan.Target.Sha256)) is { } quarantined)
        {
            return await FailWithRevocationsAsync(quarantined, plan, mode, cancellation);
        }

        // Step 8: download, from the repository that served the manifest first, then the others (blobs are content-addressed).
        var (downloaded, undownloadable) = await DownloadAsync(plan, progress, cancellation);
        if (undownloadable is not null)
        {
            return await FailWithRevocationsAsync(undownloadable, plan, mode, cancellation);
        }

        // Step 9: the module itself; from here on only these verified bytes move on.
        var (module, invalid) = VerifyModule(downloaded!, kernel!);
        if (invalid is not null)
        {
            return await FailWithRevocationsAsync(invalid, plan, mode, cancellation);
        }

        if (DecideAfterVerification(plan, module!) is { } decided)
        {
            return decided.Failure is null || mode != Mode.Apply ? decided : await FailWithRevocationsAsync(decided.Failure, plan, mode, cancellation);
        }

        if (mode != Mode.Apply)
        {
            return UpdateDescription.Of(plan, dryRun: true, attempts);
        }

        // Step 10: hand it to the loader; record the outcome; move off revoked patches.
        return await _loading.LoadAsync(_state, plan, module!, cancellation) with { Attempts = attempts };
    }

    private (HostKernel? Kernel, UpdateFailure? Failure) ReadKernel()
    {
        try
        {
            return (HostKernel.Read(options.KernelNotesPath, options.KernelReleasePath), null);
        }
        catch (Exception e) when (e is LivePatchFormatException or IOException or UnauthorizedAccessException)
        {
            return (null, new UpdateFailure(ClientErrorCodes.KernelUnreadable, $"cannot read the running kernel: {e.Message}"));
        }
    }

    /// <summary>A verified "not covered" (step 2's coverage bin): nothing to load and nothing to remove; the state keeps the
    /// answer for <c>lpatch status</c>.</summary>
    private UpdateResult NotCovered(NotCoveredRecord notCovered, IReadOnlyList<UpdateFailure> attempts)
    {
        _state.Stage(s => s with { NotCovered = notCovered });
        return new UpdateResult { Action = UpdateAction.NotCovered, Message = notCovered.Describe(), NotCovered = notCovered, Attempts = attempts };
    }

    /// <summary>Step 6, second half, the one place it is persisted: the accepted version (and the pinned repository id, the
    /// signature memo), written atomically before anything is acted on.</summary>
    private void RememberManifest(VerifiedManifest verified)
    {
        var m = verified.Manifest;
        var key = ClientState.VersionKey(m.Repository, m.Channel, m.BuildId);
        var memoKey = ClientState.MemoKey(m.Channel, m.BuildId);
        _state.Update(s => s.Versions.GetValueOrDefault(key) >= m.Version && s.RepositoryId is not null
                && (verified.Memo is null || s.Memos.GetValueOrDefault(memoKey) == verified.Memo) && s.NotCovered is null
            ? s // the usual poll: the same manifest as last time, nothing to remember anew
            : s with
            {
                Versions = new Dictionary<string, ulong>(s.Versions) { [key] = Math.Max(m.Version, s.Versions.GetValueOrDefault(key)) },
                RepositoryId = s.RepositoryId ?? m.Repository,
                Memos = verified.Memo is { } memo ? new Dictionary<string, SignatureMemo>(s.Memos) { [memoKey] = memo } : s.Memos,
                NotCovered = null, // a manifest for this kernel: whatever "not covered" was recorded is over
            });
    }

    private UpdatePlan ChooseTarget(HostKernel kernel, VerifiedManifest manifest)
    {
        var plan = PatchSelector.Choose(kernel, manifest, options, _state.Current, time.GetUtcNow());
        var notices = manifest.Manifest.Revoked
            .Select(r => new RevocationNotice(r.Name, r.Level, r.Sha256, r.Reason, r.RevokedAt, plan.Revoked.Any(a => a.Applied.Sha256 == r.Sha256)))
            .ToList();
        _state.Stage(s => s.Revocations.SequenceEqual(notices) ? s : s with { Revocations = notices });
        return plan;
    }

    private async Task<(DownloadedModule? Module, UpdateFailure? Failure)> DownloadAsync(UpdatePlan plan, IProgress<DownloadProgress>? progress,
        CancellationToken cancellation)
    {
        var downloader = new ModuleDownloader(options.CacheDirectory, options.MaxModuleBytes, options.RequestTimeout * 4);
        UpdateFailure? last = null;
        foreach (var url in options.Repositories.OrderBy(r => SameUrl(r, plan.Source.Repository) ? 0 : 1))
        {
            using var repository = connect(new Uri(url));
            var (module, failure) = await downloader.DownloadAsync(repository, plan.Target!, progress, cancellation);
            if (failure is null)
            {
                return (module, null);
            }

            last = failure;
        }

        return (null, last);
    }

    private (VerifiedModule? Module, UpdateFailure? Failure) VerifyModule(DownloadedModule downloaded, HostKernel kernel)
    {
        var (module, failure) = new ModuleChecker(keyring, (int)options.MaxModuleBytes).Check(downloaded, kernel);
        if (module is not null)
        {
            RememberDigest(module);
        }

        return (module, failure);
    }

    /// <summary>What the module's digest decides once it is known: quarantined, revoked under another container, or the
    /// module this host already runs. Null: go on.</summary>
    private UpdateResult? DecideAfterVerification(UpdatePlan plan, VerifiedModule module)
    {
        if (QuarantineOf(module.Patch.Sha256, module.Digest) is { } quarantined)
        {
            return UpdateResult.Failed(quarantined, plan);
        }

        var revoked = plan.Source.Manifest.Revoked.FirstOrDefault(r => _state.Current.ModuleDigests.GetValueOrDefault(r.Sha256) == module.Digest);
        if (revoked is not null)
        {
            return UpdateResult.Failed(UpdateFailure.Refused(ClientErrorCodes.ModuleRevoked,
                $"{module.Patch.Name} level {module.Patch.Level} is the module revoked as {revoked.Name} level {revoked.Level} ({revoked.Reason})."), plan);
        }

        var running = _state.Current.Applied.FirstOrDefault(a => a.BuildId == plan.Kernel.BuildId.Hex && a.ModuleDigest == module.Digest);
        return running is null ? null : new UpdateResult
        {
            Action = UpdateAction.None, Plan = plan,
            Message = $"{module.Patch.Name} level {module.Patch.Level} is the module already applied as {running.Name} level {running.Level}",
        };
    }

    private UpdateFailure? QuarantineOf(string blob, string? digest) => guard.RefusalOrNull(blob, digest);

    private void RememberDigest(VerifiedModule module) =>
        _state.Stage(s => s.ModuleDigests.GetValueOrDefault(module.Patch.Sha256) == module.Digest ? s
            : s with { ModuleDigests = ModuleDigestMap.With(s.ModuleDigests, module.Patch.Sha256, module.Digest) });

    /// <summary>The replacement could not be had, but a revoked patch must not stay loaded (docs/architecture.md, step 10).</summary>
    private async Task<UpdateResult> FailWithRevocationsAsync(UpdateFailure failure, UpdatePlan plan, Mode mode, CancellationToken cancellation)
    {
        var failed = UpdateResult.Failed(failure, plan);
        if (mode != Mode.Apply || plan.Revoked.Count == 0)
        {
            return failed;
        }

        var removed = await _loading.RemoveRevokedAsync(_state, plan, cancellation);
        return removed is null ? failed : failed with { Message = $"{failed.Message}; {removed.Message}" };
    }

    // RepositoryClient adds a trailing slash to its base URL; the configuration may not have one.
    private static bool SameUrl(string configured, string server) =>
        string.Equals(configured.TrimEnd('/'), server.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private UpdateResult Record(UpdateResult result)
    {
        var source = result.Plan?.Source.Repository ?? result.NotCovered?.Server;
        // A check that changed nothing but its own record need not wait for the disk (it is rewritten every run).
        _state.Update(s => s with { LastCheck = CheckRecord.Of(result, time.GetUtcNow(), source) }, durable: false);
        return result;
    }
}
