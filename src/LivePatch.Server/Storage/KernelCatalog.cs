namespace LivePatch.Server.Storage;

/// <summary>The kernels with patches, for <c>GET /v1/kernels</c>: read a page at a time from the patch catalog in memory
/// (<see cref="RepositoryDatabase.KernelsAfter"/>, in build ID order).</summary>
/// <remarks>
/// Found by reading every patch, a listing cost 3.6 MB and 250 ms of CPU at 30,000 kernels for one anonymous request. It
/// was then one LiteDB document per kernel, rewritten in every transaction that re-rendered the kernel's manifests: about
/// 30 % of a bulk publish's time (a profile at 40,000 kernels), and a collection to rebuild at every start. The patch catalog
/// already holds every kernel's patches; it keeps them in build ID order too, so a page reads its own kernels and no others,
/// and there is nothing to keep in step. A server of an earlier version left a <c>kernels</c> collection: dropped at start.
/// </remarks>
public sealed class KernelCatalog(RepositoryDatabase db)
{
    /// <summary>A kernel's listing entry, or null when no patch targets it.</summary>
    public KernelListingEntry? FindOrNull(string buildId) => db.PatchesFor(buildId) is { Count: > 0 } patches ? ListingOf(buildId, patches) : null;

    /// <summary>At most <paramref name="count"/> kernels whose build ID sorts after <paramref name="after"/> (all when null),
    /// in build ID order.</summary>
    public List<KernelListingEntry> After(string? after, int count) =>
        [.. db.KernelsAfter(after, count).Select(kernel => ListingOf(kernel.BuildId, kernel.Patches))];

    /// <summary>A kernel's entry from its patches (at least one; all name the same kernel release, as publish enforces).</summary>
    private static KernelListingEntry ListingOf(string buildId, IReadOnlyList<PatchDocument> patches) => new()
    {
        Id = buildId,
        KernelRelease = patches[0].KernelRelease,
        Patches = [.. patches.Select(EntryOf).OrderBy(p => p.Id)],
    };

    private static KernelPatchEntry EntryOf(PatchDocument patch) => new()
    {
        Id = patch.Id,
        Level = patch.Level,
        Channels = [.. patch.Channels.Keys.Order(StringComparer.Ordinal)],
        Revoked = patch.RevokedMs is not null,
    };
}

/// <summary>A kernel build that has patches, as the kernel listing shows it: built from its patches when read (it holds
/// nothing a patch does not say).</summary>
public sealed class KernelListingEntry
{
    public string Id { get; set; } = "";

    public string KernelRelease { get; set; } = "";

    /// <summary>The kernel's patches, by id.</summary>
    public List<KernelPatchEntry> Patches { get; set; } = [];
}

/// <summary>What the kernel listing needs of one patch: its level, its channels (ordinal order) and whether it is revoked.</summary>
public sealed class KernelPatchEntry
{
    public int Id { get; set; }

    public int Level { get; set; }

    public List<string> Channels { get; set; } = [];

    public bool Revoked { get; set; }
}
