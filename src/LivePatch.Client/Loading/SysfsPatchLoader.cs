using LivePatch.Core;
using LivePatch.Core.Modules;

namespace LivePatch.Client.Loading;

/// <summary>Loads with insmod and follows the transition in /sys/kernel/livepatch (Documentation/livepatch/livepatch.rst).</summary>
/// <remarks>
/// A transition that does not finish in time is reversed by writing 0 to <c>enabled</c> (kernel/livepatch/transition.c,
/// klp_reverse_transition) and the module is unloaded once the reversal settles. Never insmod -f or rmmod -f.
/// </remarks>
public sealed class SysfsPatchLoader : IPatchLoader
{
    private readonly LoaderOptions _options;
    private readonly TimeProvider _time;
    private readonly LivepatchSysfs _sysfs;

    public SysfsPatchLoader(LoaderOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _sysfs = new LivepatchSysfs(options.SysfsRoot, time);
    }

    public string Kind => "sysfs";

    public async Task<LoaderResult> ApplyAsync(PatchToApply patch, CancellationToken cancellation)
    {
        if (!ModuleNames.IsValid(patch.Name))
        {
            return LoaderResult.Failed(LoaderErrorCodes.InvalidName, $"'{patch.Name}' is not a valid module name.");
        }

        if (_sysfs.Exists(patch.Name))
        {
            return LoaderResult.Failed(LoaderErrorCodes.AlreadyApplied, $"Livepatch {patch.Name} is already in {_options.SysfsRoot}.");
        }

        var insmod = await InsmodAsync(patch, cancellation).ConfigureAwait(false);
        if (insmod is not null)
        {
            return insmod;
        }

        var failure = await AwaitEnabledAsync(patch.Name, cancellation).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure;
        }

        var warnings = await UnloadReplacedAsync(patch, cancellation).ConfigureAwait(false);
        return LoaderResult.Ok(string.Join(" ", [$"Livepatch {patch.Name} level {patch.Level} is applied.", .. warnings]));
    }

    public async Task<LoaderResult> RemoveAsync(string name, CancellationToken cancellation)
    {
        if (!ModuleNames.IsValid(name))
        {
            return LoaderResult.Failed(LoaderErrorCodes.InvalidName, $"'{name}' is not a valid module name.");
        }

        if (!_sysfs.Exists(name))
        {
            return LoaderResult.Failed(LoaderErrorCodes.NotApplied, $"No livepatch {name} in {_options.SysfsRoot}.");
        }

        if (!await DisableAsync(name, cancellation).ConfigureAwait(false))
        {
            return LoaderResult.Failed(LoaderErrorCodes.TransitionStalled,
                $"Disabling {name} did not finish within {_options.TransitionTimeout}; it stays loaded.");
        }

        var rmmod = await RmmodAsync(name, cancellation).ConfigureAwait(false);
        return rmmod.Succeeded
            ? LoaderResult.Ok($"Livepatch {name} is disabled and unloaded.")
            : LoaderResult.Failed(LoaderErrorCodes.RmmodFailed, rmmod.Describe(_options.Rmmod));
    }

    public Task<IReadOnlyList<LoadedPatch>> ListAsync(CancellationToken cancellation) => Task.FromResult(_sysfs.List());

    /// <summary>Runs insmod on a plain copy of the module; null when it loaded.</summary>
    private async Task<LoaderResult?> InsmodAsync(PatchToApply patch, CancellationToken cancellation)
    {
        UncompressedModule module;
        try
        {
            module = await UncompressedModule.PrepareAsync(patch.FilePath, patch.Name, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LivePatchFormatException)
        {
            return LoaderResult.Failed(LoaderErrorCodes.FileUnreadable, $"Cannot prepare {patch.FilePath}: {e.Message}");
        }

        using (module)
        {
            var outcome = await RunAsync(_options.Insmod, [module.Path], cancellation).ConfigureAwait(false);
            return outcome.Succeeded ? null : LoaderResult.Failed(LoaderErrorCodes.InsmodFailed, outcome.Describe(_options.Insmod));
        }
    }

    /// <summary>Waits for the transition to finish and checks the patch is enabled; on any failure backs it out. Null when enabled.</summary>
    private async Task<LoaderResult?> AwaitEnabledAsync(string name, CancellationToken cancellation)
    {
        var state = await _sysfs.WaitForTransitionAsync(name, _options.TransitionTimeout, cancellation).ConfigureAwait(false);
        if (state == TransitionState.Missing)
        {
            var rmmod = await RmmodAsync(name, cancellation).ConfigureAwait(false);
            return LoaderResult.Failed(LoaderErrorCodes.NotEnabled,
                $"insmod succeeded but {name} did not appear in {_options.SysfsRoot}; {Unloaded(rmmod)}");
        }

        if (state == TransitionState.Stalled)
        {
            return await BackOutStalledAsync(name, cancellation).ConfigureAwait(false);
        }

        if (_sysfs.ReadEnabled(name) != true)
        {
            var rmmod = await RmmodAsync(name, cancellation).ConfigureAwait(false);
            return LoaderResult.Failed(LoaderErrorCodes.NotEnabled, $"Livepatch {name} settled but is not enabled; {Unloaded(rmmod)}");
        }

        return null;
    }

    /// <summary>Reverses a stalled transition, waits for the reversal, then unloads (livepatch.rst section 3.1, "Transition").</summary>
    private async Task<LoaderResult> BackOutStalledAsync(string name, CancellationToken cancellation)
    {
        var prefix = $"The transition of {name} did not finish within {_options.TransitionTimeout}";
        _sysfs.Disable(name);
        var reversal = await _sysfs.WaitForTransitionAsync(name, _options.TransitionTimeout, cancellation).ConfigureAwait(false);
        if (reversal == TransitionState.Stalled)
        {
            // The kernel refuses to unload a module whose patch is still in transition; forcing is never an option.
            return LoaderResult.Failed(LoaderErrorCodes.TransitionStalled,
                $"{prefix}; it was disabled but the reversal did not finish either, so the module stays loaded.");
        }

        var rmmod = await RmmodAsync(name, cancellation).ConfigureAwait(false);
        return LoaderResult.Failed(LoaderErrorCodes.TransitionStalled, $"{prefix}; it was reversed and {Unloaded(rmmod)}");
    }

    /// <summary>Unloads the modules this patch supersedes; problems become warnings, the new patch stays applied.</summary>
    private async Task<List<string>> UnloadReplacedAsync(PatchToApply patch, CancellationToken cancellation)
    {
        var warnings = new List<string>();
        foreach (var replaced in patch.Replaces.Where(r => r != patch.Name).Distinct(StringComparer.Ordinal))
        {
            if (!ModuleNames.IsValid(replaced))
            {
                warnings.Add($"Warning: '{replaced}' is not a valid module name and was left alone.");
                continue;
            }

            // With atomic replace the kernel has already disabled and freed the replaced patches (transition.c,
            // klp_complete_transition); without it they are still enabled and must be disabled before rmmod.
            if (_sysfs.ReadEnabled(replaced) == true && !await DisableAsync(replaced, cancellation).ConfigureAwait(false))
            {
                warnings.Add($"Warning: disabling the replaced {replaced} did not finish; it stays loaded.");
                continue;
            }

            var rmmod = await RmmodAsync(replaced, cancellation).ConfigureAwait(false);
            if (!rmmod.Succeeded && Directory.Exists(Path.Combine(_options.ModuleRoot, replaced)))
            {
                warnings.Add($"Warning: the replaced {replaced} is still loaded: {rmmod.Describe(_options.Rmmod)}");
            }
        }

        return warnings;
    }

    /// <summary>Writes 0 to <c>enabled</c> if the patch is enabled, and waits for the transition; false when it stalled.</summary>
    private async Task<bool> DisableAsync(string name, CancellationToken cancellation)
    {
        if (_sysfs.ReadEnabled(name) == true)
        {
            _sysfs.Disable(name);
        }

        var state = await _sysfs.WaitForTransitionAsync(name, _options.TransitionTimeout, cancellation).ConfigureAwait(false);
        return state != TransitionState.Stalled;
    }

    private Task<CommandOutcome> RmmodAsync(string name, CancellationToken cancellation) =>
        RunAsync(_options.Rmmod, [name], cancellation);

    private Task<CommandOutcome> RunAsync(string command, IReadOnlyList<string> arguments, CancellationToken cancellation) =>
        CommandRunner.RunAsync(command, arguments, null, _options.CommandTimeout, _time, cancellation);

    private string Unloaded(CommandOutcome rmmod) =>
        rmmod.Succeeded ? "the module was unloaded." : $"unloading it failed: {rmmod.Describe(_options.Rmmod)}";
}
