namespace LivePatch.Client.Loading;

/// <summary>Applies verified livepatch modules to the running kernel, removes them, and lists what is applied (docs/loaders.md).</summary>
/// <remarks>
/// The update engine hands a loader only a module that passed every verification step. A loader never forces
/// anything (no insmod -f, no forced transitions): a patch the kernel cannot apply cleanly is backed out and reported.
/// </remarks>
public interface IPatchLoader
{
    /// <summary>The configured kind: <c>sysfs</c>, <c>kpatch</c>, <c>exec</c> or <c>stage</c>.</summary>
    string Kind { get; }

    /// <summary>Applies a verified module; on success the modules named in <see cref="PatchToApply.Replaces"/> are unloaded.</summary>
    Task<LoaderResult> ApplyAsync(PatchToApply patch, CancellationToken cancellation);

    /// <summary>Disables and unloads an applied patch by module name.</summary>
    Task<LoaderResult> RemoveAsync(string name, CancellationToken cancellation);

    /// <summary>The livepatch modules the kernel (or the staging folder) has now.</summary>
    Task<IReadOnlyList<LoadedPatch>> ListAsync(CancellationToken cancellation);
}

/// <summary>A verified module ready for the loader, with the metadata the manifest gave it.</summary>
/// <remarks>The file is the plain (decompressed) module, written by the update engine from exactly the bytes that step 9
/// verified into a folder only root can write, just before the loader runs, and deleted after.</remarks>
/// <param name="Name">Module name (also /sys/kernel/livepatch/&lt;name&gt;), already validated as [A-Za-z0-9_-]{1,55}.</param>
/// <param name="Level">Patch level from the manifest.</param>
/// <param name="Sha256">SHA-256 of <paramref name="FilePath"/>'s bytes (the decompressed module), lowercase hex.</param>
/// <param name="FilePath">The verified module, a plain <c>.ko</c>.</param>
/// <param name="Replace">Atomic replace (klp_patch.replace): earlier patches are superseded by this one.</param>
/// <param name="Replaces">Module names applied before that this patch supersedes (unloaded after a successful apply).</param>
/// <param name="KernelRelease">The running kernel's release.</param>
/// <param name="BuildId">The running kernel's build ID.</param>
/// <param name="Cves">CVE ids the manifest lists for the patch.</param>
public sealed record PatchToApply(
    string Name,
    int Level,
    string Sha256,
    string FilePath,
    bool Replace,
    IReadOnlyList<string> Replaces,
    string KernelRelease,
    string BuildId,
    IReadOnlyList<string> Cves)
{
    /// <summary>SHA-256 of the blob as the manifest names it (possibly compressed); empty when not known.</summary>
    public string BlobSha256 { get; init; } = "";
}

/// <summary>A livepatch as the loader sees it: enabled, and whether a transition is still in progress.</summary>
public sealed record LoadedPatch(string Name, bool Enabled, bool InTransition);

/// <summary>What a loader did: success, or a stable <see cref="Code"/> and a message saying what failed.</summary>
public sealed record LoaderResult(bool Success, string? Code, string Message)
{
    public static LoaderResult Ok(string message) => new(true, null, message);

    public static LoaderResult Failed(string code, string message) => new(false, code, message);
}
