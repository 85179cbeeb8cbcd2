using LivePatch.Client.Host;
using LivePatch.Client.Loading;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Signing;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Updates;

/// <summary>The host's update routine, one call per DESIGN.md step; any failure stops with nothing loaded and the trusted state kept.</summary>
public sealed class UpdateEngine(
    ClientOptions options,
    TrustPolicy policy,
    ModuleKeyring keyring,
    IPatchLoader loader,
    CrashLoopGuard guard,
    TimeProvider time,
    Func<Uri, RepositoryClient> connect)
{
    private readonly StateStore _state = new(options.StateDirectory);
    private ClientState? _current; // the state as this run sees and changes it
    private bool _unsaved;
    private readonly ManifestCache _manifests = new(options.CacheDirectory);

    /// <summary>Steps 1 to 7: what the repository offers this kernel, verified; records the check, applies nothing.</summary>
    public async Task<UpdateResult> CheckAsync(CancellationToken cancellation)
    {
        var (plan, failure, attempts) = await PlanAsync(cancellation);
        var result = failure is not null ? UpdateResult.Failed(failure, null, attempts) : Describe(plan!, dryRun: true, attempts);
        Record(result);
        return result;
    }

    /// <summary>Steps 1 to 10: check, then download, verify and hand the chosen patch to the loader; revoked patches are moved off.</summary>
    public async Task<UpdateResult> ApplyAsync(bool dryRun, IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        guard.ReconcileAtStart();
        if (!dryRun && AutoApplySwitch.IsDisabled(options, out var reason))
        {
            return Record(new UpdateResult { Action = "disabled", Message = $"automatic applying is off: {reason}" });
        }

        await ForgetUnloadedAsync(cancellation);
        var (planned, failure, attempts) = await PlanAsync(cancellation);
        if (failure is not null)
        {
            return Record(UpdateResult.Failed(failure, null, attempts));
        }

        var plan = planned!;
        if (dryRun)
        {
            return Describe(plan, dryRun: true, attempts);
        }

        if (plan.Target is null || plan.AlreadyApplied)
        {
            var stillLoaded = plan.Revoked.Any(r => r.Sha256 != plan.Target?.Sha256);
            return Record(stillLoaded ? await RemoveRevokedAsync(plan, cancellation) : Describe(plan, dryRun: false, attempts));
        }

        var installed = await InstallAsync(plan, progress, cancellation) with { Attempts = attempts };
        if (installed.Failure is not null && plan.Revoked.Count > 0)
        {
            // The replacement could not be installed, but a revoked patch must not stay loaded (DESIGN step 10).
            var removed = await RemoveRevokedAsync(plan, cancellation);
            installed = installed with { Message = $"{installed.Message}; {removed.Message}" };
        }

        return Record(installed);
    }

    /// <summary>Disables and unloads an applied patch by name (operator command); the guard forgets nothing.</summary>
    public async Task<LoaderResult> RemoveAsync(string name, CancellationToken cancellation)
    {
        var result = await loader.RemoveAsync(name, cancellation);
        if (result.Success)
        {
            UpdateState(s => s with { Applied = s.Applied.Where(a => a.Name != name).ToList() });
        }

        return result;
    }

    public ClientState State => Current;

    private ClientState Current => _current ??= _state.Load();

    private async Task<(UpdatePlan? Plan, UpdateFailure? Failure, IReadOnlyList<UpdateFailure> Attempts)> PlanAsync(CancellationToken cancellation)
    {
        // Step 1: the running kernel.
        HostKernel kernel;
        try
        {
            kernel = HostKernel.Read(options.KernelNotesPath, options.KernelReleasePath);
        }
        catch (Exception e) when (e is LivePatchFormatException or IOException or UnauthorizedAccessException)
        {
            return (null, new UpdateFailure(FailureKind.Configuration, ClientErrorCodes.KernelUnreadable, $"cannot read the running kernel: {e.Message}"), []);
        }

        // Steps 2 to 6, repository by repository: the first one whose manifest passes every check wins.
        var state = Current;
        var attempts = new List<UpdateFailure>();
        var fetcher = new ManifestFetcher(options, policy, time, _manifests);
        foreach (var url in options.Repositories)
        {
            using var repository = connect(new Uri(url));
            var (manifest, failure) = await fetcher.FetchAsync(repository, kernel, state, cancellation);
            if (failure is not null)
            {
                attempts.Add(failure);
                continue;
            }

            Accept(manifest!);
            return (PatchSelector.Choose(kernel, manifest!, options, Current, time.GetUtcNow()), null, attempts);
        }

        // A repository that answered with something that failed verification outranks ones that were down.
        var worst = attempts.FirstOrDefault(a => a.Kind == FailureKind.Verification) ?? attempts.LastOrDefault()
            ?? new UpdateFailure(FailureKind.Configuration, ClientErrorCodes.ConfigurationInvalid, "no repositories configured");
        return (null, worst, attempts);
    }

    /// <summary>Step 6, second half: remember the version (and pin the repository id); written atomically before anything
    /// is acted on (<see cref="InstallAsync"/>), or with the run's record.</summary>
    private void Accept(VerifiedManifest verified)
    {
        var m = verified.Manifest;
        var key = ClientState.VersionKey(m.Repository, m.Channel, m.BuildId);
        var state = Current;
        var memoKey = ClientState.MemoKey(m.Channel, m.BuildId);
        var unchanged = state.Versions.GetValueOrDefault(key) >= m.Version && state.RepositoryId is not null
            && (verified.Memo is null || state.Memos.GetValueOrDefault(memoKey) == verified.Memo);
        if (unchanged)
        {
            return; // the usual poll: the same manifest as last time, nothing to remember anew
        }

        Stage(s =>
        {
            var versions = new Dictionary<string, ulong>(s.Versions) { [key] = Math.Max(m.Version, s.Versions.GetValueOrDefault(key)) };
            var memos = new Dictionary<string, SignatureMemo>(s.Memos);
            if (verified.Memo is { } memo)
            {
                memos[memoKey] = memo;
            }

            return s with { Versions = versions, RepositoryId = s.RepositoryId ?? m.Repository, Memos = memos };
        });
    }

    private async Task<UpdateResult> InstallAsync(UpdatePlan plan, IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        UpdateState(s => s); // step 6: the accepted version is on disk before the first byte of the module is fetched
        var target = plan.Target!;
        if (guard.IsQuarantined(target.Sha256, out var why))
        {
            return UpdateResult.Failed(new UpdateFailure(FailureKind.Loader, ClientErrorCodes.PatchQuarantined,
                $"{target.Name} level {target.Level} is quarantined ({why}); 'lpatch guard clear' lets it be tried again."), plan);
        }

        // Step 8: download, from the repository that served the manifest first, then the others (blobs are content-addressed).
        var (path, failure) = await DownloadAsync(plan, target, progress, cancellation);
        if (failure is not null)
        {
            return UpdateResult.Failed(failure, plan);
        }

        // Step 9: the module itself.
        if (new ModuleChecker(keyring, (int)options.MaxModuleBytes).Check(path!, target, plan.Kernel) is { } refused)
        {
            return UpdateResult.Failed(refused, plan);
        }

        // Step 10: hand it to the loader.
        return await LoadAsync(plan, target, path!, cancellation);
    }

    private async Task<(string? Path, UpdateFailure? Failure)> DownloadAsync(UpdatePlan plan, ManifestPatch target,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        var downloader = new ModuleDownloader(options.CacheDirectory, options.MaxModuleBytes, options.RequestTimeout * 4);
        var order = options.Repositories.OrderBy(r => SameUrl(r, plan.Source.Repository) ? 0 : 1);
        UpdateFailure? last = null;
        foreach (var url in order)
        {
            using var repository = connect(new Uri(url));
            var (path, failure) = await downloader.DownloadAsync(repository, target, progress, cancellation);
            if (failure is null)
            {
                return (path, null);
            }

            last = failure;
        }

        return (null, last);
    }

    private async Task<UpdateResult> LoadAsync(UpdatePlan plan, ManifestPatch target, string path, CancellationToken cancellation)
    {
        var applied = Current.Applied.Where(a => a.BuildId == plan.Kernel.BuildId.Hex).ToList();

        // The kernel cannot load two modules of one name: an older level with the same name goes first.
        foreach (var same in applied.Where(a => a.Name == target.Name && a.Sha256 != target.Sha256))
        {
            var removed = await RemoveAsync(same.Name, cancellation);
            if (!removed.Success)
            {
                return UpdateResult.Failed(new UpdateFailure(FailureKind.Loader, removed.Code ?? "loader-failed", removed.Message), plan);
            }
        }

        var replaces = target.Replace ? applied.Where(a => a.Name != target.Name).Select(a => a.Name).Distinct().ToList() : [];
        guard.BeginApply(target.Name, target.Level, target.Sha256);
        var result = await loader.ApplyAsync(new PatchToApply(target.Name, target.Level, target.Sha256, path, target.Replace, replaces,
            plan.Kernel.Release, plan.Kernel.BuildId.Hex, target.Cves), cancellation);
        guard.EndApply(result.Success, result.Code);
        if (!result.Success)
        {
            return UpdateResult.Failed(new UpdateFailure(FailureKind.Loader, result.Code ?? "loader-failed", result.Message), plan);
        }

        var record = new AppliedRecord(target.Name, target.Level, target.Sha256, plan.Kernel.BuildId.Hex, target.Cves, time.GetUtcNow());
        UpdateState(s => s with
        {
            Applied = [.. s.Applied.Where(a => a.Name != target.Name && !(target.Replace && a.BuildId == record.BuildId)), record],
        });
        var afterRevocations = target.Replace ? null : await RemoveRevokedAsync(plan, cancellation);
        return afterRevocations is { Failure: not null } ? afterRevocations
            : new UpdateResult { Action = "applied", Message = $"applied {target.Name} level {target.Level} ({result.Message})", Plan = plan };
    }

    private async Task<UpdateResult> RemoveRevokedAsync(UpdatePlan plan, CancellationToken cancellation)
    {
        // Removal is by module name, so only while the module of that name is still the revoked one: after a newer
        // level of the same name replaced it (LoadAsync), removing the name would take the new level off.
        foreach (var revoked in plan.Revoked)
        {
            if (!Current.Applied.Any(a => a.Name == revoked.Name && a.Sha256 == revoked.Sha256))
            {
                continue;
            }

            var removed = await RemoveAsync(revoked.Name, cancellation);
            if (!removed.Success)
            {
                return UpdateResult.Failed(new UpdateFailure(FailureKind.Loader, removed.Code ?? "loader-failed",
                    $"{revoked.Name} level {revoked.Level} is revoked but could not be removed: {removed.Message}"), plan);
            }
        }

        return new UpdateResult { Action = "removed", Message = $"removed revoked {string.Join(", ", plan.Revoked.Select(r => $"{r.Name} level {r.Level}"))}", Plan = plan };
    }

    /// <summary>After a reboot nothing is loaded: forget what the kernel no longer has, so it is applied again.</summary>
    private async Task ForgetUnloadedAsync(CancellationToken cancellation)
    {
        var loaded = (await loader.ListAsync(cancellation)).Where(p => p.Enabled).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        UpdateState(s => s.Applied.All(a => loaded.Contains(a.Name)) ? s : s with { Applied = s.Applied.Where(a => loaded.Contains(a.Name)).ToList() });
    }

    // RepositoryClient adds a trailing slash to its base URL; the configuration may not have one.
    private static bool SameUrl(string configured, string server) =>
        string.Equals(configured.TrimEnd('/'), server.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private static UpdateResult Describe(UpdatePlan plan, bool dryRun, IReadOnlyList<UpdateFailure> attempts)
    {
        var t = plan.Target;
        var (action, message) = t switch
        {
            _ when plan.Revoked.Count > 0 && (t is null || plan.AlreadyApplied) => (dryRun ? "would-remove" : "removed", $"revoked and loaded: {string.Join(", ", plan.Revoked.Select(r => $"{r.Name} level {r.Level}"))}"),
            null => ("none", plan.Source.Manifest.Patches.Count == 0 ? "this kernel has no patches in the channel" : "no patch allowed by the policy yet"),
            _ when plan.AlreadyApplied => ("none", $"{t.Name} level {t.Level} is applied and current"),
            _ => (dryRun ? "would-apply" : "applied", $"{t.Name} level {t.Level} ({t.Size} bytes{(t.Cves.Count > 0 ? ", " + string.Join(" ", t.Cves) : "")})"),
        };
        return new UpdateResult { Action = action, Message = message, Plan = plan, Attempts = attempts };
    }

    private UpdateResult Record(UpdateResult result)
    {
        var source = result.Plan?.Source.Repository;
        // A check that changed nothing but its own record need not wait for the disk (it is rewritten every run).
        UpdateState(s => s with { LastCheck = new CheckRecord(time.GetUtcNow(), result.Action, result.Failure?.Code, result.Message, source) },
            durable: _unsaved);
        return result;
    }

    /// <summary>Changes the state and writes it (temp, fsync, rename); an unchanged state is not written again.</summary>
    private void UpdateState(Func<ClientState, ClientState> change, bool durable = true)
    {
        var before = Current;
        var after = change(before);
        if (!ReferenceEquals(before, after) || _unsaved)
        {
            _state.Save(after, durable || _unsaved);
            _unsaved = false;
        }

        _current = after;
    }

    /// <summary>Changes the state in memory only; the next <see cref="UpdateState"/> (at the latest the run's record) writes it.</summary>
    private void Stage(Func<ClientState, ClientState> change)
    {
        _current = change(Current);
        _unsaved = true;
    }
}
