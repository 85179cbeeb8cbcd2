using LivePatch.Core;
using LivePatch.Core.Modules;

namespace LivePatch.Client.Loading;

/// <summary>Delegates to the kpatch utility: <c>kpatch load</c>, <c>kpatch unload</c>, <c>kpatch list</c>.</summary>
/// <remarks>kpatch load waits for the transition itself and backs out a patch that does not settle.</remarks>
public sealed class KpatchPatchLoader(LoaderOptions options, TimeProvider time) : IPatchLoader
{
    /// <summary>The header of the section <c>kpatch list</c> prints for modules in the kernel (kpatch/kpatch, "list").</summary>
    private const string LoadedHeader = "Loaded patch modules:";

    public string Kind => "kpatch";

    public async Task<LoaderResult> ApplyAsync(PatchToApply patch, CancellationToken cancellation)
    {
        if (!ModuleNames.IsValid(patch.Name))
        {
            return LoaderResult.Failed(LoaderErrorCodes.InvalidName, $"'{patch.Name}' is not a valid module name.");
        }

        UncompressedModule module;
        try
        {
            // kpatch reads the module name with readelf before insmod: it needs a plain ELF file.
            module = await UncompressedModule.PrepareAsync(patch.FilePath, patch.Name, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LivePatchFormatException)
        {
            return LoaderResult.Failed(LoaderErrorCodes.FileUnreadable, $"Cannot prepare {patch.FilePath}: {e.Message}");
        }

        using (module)
        {
            var load = await KpatchAsync(["load", module.Path], cancellation).ConfigureAwait(false);
            if (!load.Succeeded)
            {
                return LoaderResult.Failed(LoaderErrorCodes.KpatchFailed, load.Describe($"{options.Kpatch} load"));
            }
        }

        var warnings = new List<string>();
        foreach (var replaced in patch.Replaces.Where(r => r != patch.Name && ModuleNames.IsValid(r)).Distinct(StringComparer.Ordinal))
        {
            // After an atomic replace the old module may be gone already: a failed unload is only a warning.
            var unload = await KpatchAsync(["unload", replaced], cancellation).ConfigureAwait(false);
            if (!unload.Succeeded)
            {
                warnings.Add($"Warning: unloading the replaced {replaced}: {unload.Describe($"{options.Kpatch} unload")}");
            }
        }

        return LoaderResult.Ok(string.Join(" ", [$"Livepatch {patch.Name} level {patch.Level} is applied.", .. warnings]));
    }

    public async Task<LoaderResult> RemoveAsync(string name, CancellationToken cancellation)
    {
        if (!ModuleNames.IsValid(name))
        {
            return LoaderResult.Failed(LoaderErrorCodes.InvalidName, $"'{name}' is not a valid module name.");
        }

        var loaded = await ListAsync(cancellation).ConfigureAwait(false);
        if (!loaded.Any(p => p.Name == name))
        {
            return LoaderResult.Failed(LoaderErrorCodes.NotApplied, $"kpatch does not list {name} as loaded.");
        }

        var unload = await KpatchAsync(["unload", name], cancellation).ConfigureAwait(false);
        return unload.Succeeded
            ? LoaderResult.Ok($"Livepatch {name} is unloaded.")
            : LoaderResult.Failed(LoaderErrorCodes.KpatchFailed, unload.Describe($"{options.Kpatch} unload"));
    }

    public async Task<IReadOnlyList<LoadedPatch>> ListAsync(CancellationToken cancellation)
    {
        var list = await KpatchAsync(["list"], cancellation).ConfigureAwait(false);
        if (!list.Succeeded)
        {
            throw new LoaderCommandException(list.Describe($"{options.Kpatch} list"));
        }

        return ParseList(list.StandardOutput);
    }

    /// <summary>Reads the "Loaded patch modules:" section: lines <c>name [enabled]</c> or <c>name [disabled]</c>, up to a blank line.</summary>
    internal static IReadOnlyList<LoadedPatch> ParseList(string output)
    {
        var patches = new List<LoadedPatch>();
        var inSection = false;
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.Trim();
            if (!inSection)
            {
                inSection = line == LoadedHeader;
                continue;
            }

            if (line.Length == 0 || line.EndsWith(':'))
            {
                break;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (ModuleNames.IsValid(parts[0]))
            {
                patches.Add(new LoadedPatch(parts[0], parts.Length < 2 || parts[1] == "[enabled]", InTransition: false));
            }
        }

        return patches;
    }

    private Task<CommandOutcome> KpatchAsync(IReadOnlyList<string> arguments, CancellationToken cancellation) =>
        CommandRunner.RunAsync(options.Kpatch, arguments, null, options.CommandTimeout, time, cancellation);
}
