using LivePatch.Client.Host;
using LivePatch.Client.Loading;
using LivePatch.Core;

namespace LivePatch.Client.Updates;

/// <summary>Step 10 and the operator's remove: hands verified modules to the loader inside the crash-loop guard, removes
/// revoked and removed patches, and keeps the state's record of what is applied true.</summary>
internal sealed class PatchLoading(ClientOptions options, IPatchLoader loader, CrashLoopGuard guard, TimeProvider time)
{
    public async Task<UpdateResult> LoadAsync(StateSession state, UpdatePlan plan, VerifiedModule module, CancellationToken cancellation)
    {
        var target = module.Patch;
        var applied = state.Current.Applied.Where(a => a.BuildId == plan.Kernel.BuildId.Hex).ToList();

        // The kernel cannot load two modules of one name: an older level with the same name goes first.
        foreach (var same in applied.Where(a => a.Name == target.Name))
        {
            var removed = await RemoveLoadedAsync(state, same.Name, cancellation);
            if (!removed.Success && removed.Code != LoaderErrorCodes.NotApplied)
            {
                return UpdateResult.Failed(new UpdateFailure(ClientErrorCodes.OfLoader(removed.Code), removed.Message), plan);
            }
        }

        var replaces = target.Replace ? applied.Where(a => a.Name != target.Name).Select(a => a.Name).Distinct().ToList() : [];
        var result = await ApplyVerifiedAsync(plan, module, replaces, cancellation);
        if (!result.Success)
        {
            return UpdateResult.Failed(new UpdateFailure(ClientErrorCodes.OfLoader(result.Code), result.Message), plan);
        }

        var record = new AppliedRecord(target.Name, target.Level, target.Sha256, plan.Kernel.BuildId.Hex, target.Cves, time.GetUtcNow(), module.Digest);
        state.Update(s => s with
        {
            Applied = [.. s.Applied.Where(a => a.Name != target.Name && !(target.Replace && a.BuildId == record.BuildId)), record],
        });
        var afterRevocations = target.Replace ? null : await RemoveRevokedAsync(state, plan, cancellation);
        return afterRevocations is { Failure: not null } ? afterRevocations
            : new UpdateResult { Action = UpdateAction.Applied, Message = $"applied {target.Name} level {target.Level} ({result.Message})", Plan = plan };
    }

    /// <summary>Removes the applied patches the manifest revokes; null when none of them is still applied.</summary>
    public async Task<UpdateResult?> RemoveRevokedAsync(StateSession state, UpdatePlan plan, CancellationToken cancellation)
    {
        // Removal is by module name, so only while the module of that name is still the revoked one: after a newer
        // level of the same name replaced it, removing the name would take the new level off.
        var loaded = plan.Revoked.Where(r => state.Current.Applied.Any(a => a.Name == r.Name && a.Sha256 == r.Applied.Sha256)).ToList();
        if (loaded.Count == 0)
        {
            return null;
        }

        foreach (var revoked in loaded)
        {
            var removed = await RemoveLoadedAsync(state, revoked.Name, cancellation);
            if (!removed.Success)
            {
                return UpdateResult.Failed(new UpdateFailure(ClientErrorCodes.OfLoader(removed.Code ?? LoaderErrorCodes.RmmodFailed),
                    $"{revoked.Name} level {revoked.Level} is revoked ({revoked.Reason}) but could not be removed: {removed.Message}"), plan);
            }
        }

        return new UpdateResult
        {
            Action = UpdateAction.Removed, Plan = plan,
            Message = $"removed revoked {string.Join(", ", loaded.Select(r => $"{r.Name} level {r.Level} ({r.Reason})"))}",
        };
    }

    /// <summary>The operator's <c>lpatch remove NAME</c>: unload, forget, and hold the name so the timer does not bring it back.</summary>
    public async Task<UpdateResult> RemoveByOperatorAsync(StateSession state, string name, CancellationToken cancellation)
    {
        var recorded = state.Current.Applied.Any(a => a.Name == name);
        var result = await RemoveLoadedAsync(state, name, cancellation);
        var hold = result.Success || recorded;
        if (hold)
        {
            state.Update(s => s.Holds.Contains(name) ? s : s with { Holds = [.. s.Holds, name] });
        }

        var held = hold ? $"; {name} is held: 'lpatch unhold {name}' lets it be applied again" : "";
        if (result.Success)
        {
            return new UpdateResult { Action = UpdateAction.Removed, Message = $"removed {name}: {result.Message}{held}" };
        }

        // Not applied is the operator's mistake (exit 2), any other refusal the loader's (exit 4).
        return UpdateResult.Failed(new UpdateFailure(ClientErrorCodes.OfLoader(result.Code ?? LoaderErrorCodes.RmmodFailed),
            result.Code == LoaderErrorCodes.NotApplied ? $"{name} is not applied ({result.Message}){held}" : result.Message));
    }

    /// <summary>After a reboot nothing is loaded: forget what the kernel no longer has, so it is applied again.</summary>
    public async Task ForgetUnloadedAsync(StateSession state, CancellationToken cancellation)
    {
        var loaded = (await loader.ListAsync(cancellation)).Where(p => p.Enabled).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        state.Update(s => s.Applied.All(a => loaded.Contains(a.Name)) ? s : s with { Applied = s.Applied.Where(a => loaded.Contains(a.Name)).ToList() });
    }

    /// <summary>Unloads a patch by name; the state forgets it once the loader says it is gone (or was never there).</summary>
    private async Task<LoaderResult> RemoveLoadedAsync(StateSession state, string name, CancellationToken cancellation)
    {
        var result = await loader.RemoveAsync(name, cancellation);
        if (result.Success || result.Code == LoaderErrorCodes.NotApplied)
        {
            state.Update(s => s.Applied.Any(a => a.Name == name) ? s with { Applied = s.Applied.Where(a => a.Name != name).ToList() } : s);
        }

        return result;
    }

    /// <summary>The boot re-apply (<see cref="BootReapply"/>): a module this host ran before the reboot, verified again from the
    /// cache, handed to the loader inside the crash-loop guard as a boot apply. Nothing else is loaded this early, so nothing
    /// is replaced or removed, and the state's record of the patch stays as it was.</summary>
    public Task<LoaderResult> ReapplyAtBootAsync(UpdatePlan plan, VerifiedModule module, CancellationToken cancellation) =>
        ApplyVerifiedAsync(plan, module, [], cancellation, atBoot: true);

    /// <summary>Writes the verified bytes into a private folder just before the loader runs, inside the crash-loop guard.</summary>
    private async Task<LoaderResult> ApplyVerifiedAsync(UpdatePlan plan, VerifiedModule module, IReadOnlyList<string> replaces,
        CancellationToken cancellation, bool atBoot = false)
    {
        var target = module.Patch;
        using var file = VerifiedModuleFile.Write(Path.Combine(options.CacheDirectory, "load"), module);
        var pending = guard.BeginApply(target.Name, target.Level, module.Digest, atBoot);
        var result = await loader.ApplyAsync(new PatchToApply(target.Name, target.Level, module.Digest, file.Path, target.Replace, replaces,
            plan.Kernel.Release, plan.Kernel.BuildId.Hex, target.Cves) { BlobSha256 = target.Sha256 }, cancellation);
        guard.EndApply(pending, result.Success, result.Code);
        return result;
    }
}

/// <summary>The verified module as a file for the loader: written from the verified bytes (temp, fsync, rename) into a folder
/// only root can write, deleted after the load. Nothing else is ever handed to a loader.</summary>
internal sealed class VerifiedModuleFile : IDisposable
{
    private VerifiedModuleFile(string path) => Path = path;

    public string Path { get; }

    public static VerifiedModuleFile Write(string folder, VerifiedModule module)
    {
        PrivateDirectory.Ensure(System.IO.Path.GetDirectoryName(folder)!, "cacheDirectory");
        PrivateDirectory.Ensure(folder, "cacheDirectory");
        var path = System.IO.Path.Combine(folder, module.Patch.Name + ".ko");
        AtomicFile.Write(path, module.Plain.Span, AtomicFile.OwnerOnly);
        return new VerifiedModuleFile(path);
    }

    public void Dispose() => File.Delete(Path);
}
