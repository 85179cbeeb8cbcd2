using LiteDB;

namespace LivePatch.Server.Storage;

/// <summary>Keeps the <c>kernels</c> collection in step with the patches, and reads it a page at a time.</summary>
/// <remarks>
/// A kernel is any build ID a patch targets. Found from the patches, listing kernels reads every patch (3.6 MB and 250 ms
/// of CPU at 30,000 kernels, for one anonymous request); one small document per kernel, under the collection's primary
/// key, lets a page read its own kernels and no others. The writer refreshes a kernel's document (<see cref="Refresh"/>) in
/// the transaction that re-renders its manifests, and <see cref="StoreMaintenance.RebuildKernelCatalog"/> builds or
/// repairs the collection at start.
/// </remarks>
public sealed class KernelCatalog(RepositoryDatabase db)
{
    /// <summary>Rewrites the documents of these kernels from the patch catalog as it now is (deleting a kernel left without
    /// patches); call inside the transaction that re-renders their manifests, so that the listing follows the manifests
    /// batch by batch and a bulk write's first transaction stays short.</summary>
    public void Refresh(IEnumerable<string> buildIds)
    {
        var changed = new List<KernelDocument>();
        foreach (var buildId in buildIds)
        {
            var patches = db.PatchesFor(buildId);
            if (patches.Count == 0)
            {
                db.Kernels.Delete(buildId);
                continue;
            }

            changed.Add(DocumentOf(buildId, patches));
        }

        db.Kernels.Upsert(changed);
    }

    public KernelDocument? FindOrNull(string buildId) => db.Kernels.FindById(buildId);

    /// <summary>At most <paramref name="count"/> kernels whose build ID sorts after <paramref name="after"/> (all when null),
    /// in build ID order.</summary>
    /// <remarks>A range of the primary key index, read in its own order: no kernel before the cursor or after the page is
    /// read, and nothing is sorted (<see cref="PagePlan"/> shows it).</remarks>
    public List<KernelDocument> After(string? after, int count) => PageQuery(after).Limit(count).ToList();

    /// <summary>LiteDB's plan of a page's query, for tests: which index, and whether it sorts.</summary>
    internal BsonDocument PagePlan(string? after) => PageQuery(after).Limit(1).GetPlan();

    private ILiteQueryable<KernelDocument> PageQuery(string? after) =>
        db.Kernels.Query().Where("_id > @0", after is null ? BsonValue.MinValue : new BsonValue(after)).OrderBy("_id");

    /// <summary>The kernel documents that <paramref name="patches"/> call for, made afresh: what the stored ones must equal.</summary>
    public static Dictionary<string, KernelDocument> FromPatches(IEnumerable<PatchDocument> patches) =>
        patches.SelectMany(patch => patch.BuildIds.Distinct(StringComparer.Ordinal).Select(buildId => (BuildId: buildId, Patch: patch)))
            .GroupBy(x => x.BuildId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => DocumentOf(g.Key, [.. g.Select(x => x.Patch)]), StringComparer.Ordinal);

    /// <summary>A kernel's document from its patches (at least one; all name the same kernel release, as publish enforces).</summary>
    private static KernelDocument DocumentOf(string buildId, List<PatchDocument> patches) => new()
    {
        Id = buildId,
        KernelRelease = patches[0].KernelRelease,
        Patches = [.. patches.Select(EntryOf).OrderBy(p => p.Id)],
    };

    /// <summary>Whether two kernel documents say the same: release, and the same entries in the same order.</summary>
    public static bool Same(KernelDocument a, KernelDocument b) =>
        a.Id == b.Id && a.KernelRelease == b.KernelRelease && a.Patches.Count == b.Patches.Count
        && a.Patches.Zip(b.Patches).All(p => p.First.Id == p.Second.Id && p.First.Level == p.Second.Level
            && p.First.Revoked == p.Second.Revoked && p.First.Channels.SequenceEqual(p.Second.Channels, StringComparer.Ordinal));

    private static KernelPatchEntry EntryOf(PatchDocument patch) => new()
    {
        Id = patch.Id,
        Level = patch.Level,
        Channels = [.. patch.Channels.Keys.Order(StringComparer.Ordinal)],
        Revoked = patch.RevokedMs is not null,
    };
}
