using LivePatch.Core.Modules;

namespace LivePatch.Client.Loading;

/// <summary>How a wait for a livepatch transition ended.</summary>
internal enum TransitionState
{
    Settled,
    Stalled,

    /// <summary>/sys/kernel/livepatch/&lt;name&gt; is not there (never was, or the kernel freed the patch).</summary>
    Missing,
}

/// <summary>The kernel's livepatch sysfs interface (Documentation/ABI/testing/sysfs-kernel-livepatch) under a configurable root.</summary>
internal sealed class LivepatchSysfs(string root, TimeProvider time)
{
    /// <summary>Transitions usually finish within a second; a tenth keeps the wait responsive without spinning.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public bool Exists(string name) => Directory.Exists(PatchDirectory(name));

    /// <summary>The <c>enabled</c> attribute: true for "1"; null when the patch is not there.</summary>
    public bool? ReadEnabled(string name) => ReadFlag(name, "enabled");

    /// <summary>The <c>transition</c> attribute: true while the patch is being applied or reversed.</summary>
    public bool? ReadTransition(string name) => ReadFlag(name, "transition");

    /// <summary>Writes "0" to <c>enabled</c>: disables the patch, or reverses a transition in progress (kernel/livepatch/core.c enabled_store, transition.c klp_reverse_transition).</summary>
    public void Disable(string name)
    {
        // Open without create: sysfs attributes exist or the patch is gone; pwrite at 0 is one sysfs store.
        using var handle = File.OpenHandle(Attribute(name, "enabled"), FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite);
        RandomAccess.Write(handle, "0\n"u8, 0);
    }

    /// <summary>Polls <c>transition</c> until it reads 0, or the time-out passes (measured with the injected clock).</summary>
    public async Task<TransitionState> WaitForTransitionAsync(string name, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var inTransition = ReadTransition(name);
            if (inTransition is null)
            {
                return TransitionState.Missing;
            }

            if (inTransition == false)
            {
                return TransitionState.Settled;
            }

            if (time.GetUtcNow() >= deadline)
            {
                return TransitionState.Stalled;
            }

            await Task.Delay(PollInterval, time, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Every patch directory under the root, with its attributes.</summary>
    public IReadOnlyList<LoadedPatch> List()
    {
        if (!Directory.Exists(root))
        {
            return [];
        }

        return Directory.EnumerateDirectories(root)
            .Select(Path.GetFileName)
            .Where(ModuleNames.IsValid)
            .Select(name => new LoadedPatch(name!, ReadEnabled(name!) == true, ReadTransition(name!) == true))
            .OrderBy(patch => patch.Name, StringComparer.Ordinal)
            .ToList();
    }

    private bool? ReadFlag(string name, string attribute)
    {
        try
        {
            return File.ReadAllText(Attribute(name, attribute)).Trim() == "1";
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private string PatchDirectory(string name)
    {
        // Checked again here, right where the path is built: a name never reaches the file system unvalidated.
        if (!ModuleNames.IsValid(name))
        {
            throw new ArgumentException($"'{name}' is not a valid module name.", nameof(name));
        }

        return Path.Combine(root, name);
    }

    private string Attribute(string name, string attribute) => Path.Combine(PatchDirectory(name), attribute);
}
