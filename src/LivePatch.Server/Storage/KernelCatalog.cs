using LiteDB;

namespace LivePatch.Server.Storage;

/// <summary>Keeps the <c>kernels</c> collection in step with the patches, and reads it a page at a time.</summary>
/// <remarks>
/// A kernel is any build ID a patch targets. Found from the patches, listing kernels reads every patch (3.6 MB and 250 ms
/// of CPU at 30,000 kernels, for one anonymous request); one small document per kernel, under the collection's primary
/// key, lets a page read its own kernels and no others. Every write to a patch calls <see cref="Track"/> or
/// <see cref="Untrack"/> inside its transaction, and <see cref="StoreMaintenance.RebuildKernelCatalog"/> builds or
/// repairs the collection at start.
/// </remarks>
public sealed class KernelCatalog(RepositoryDatabase db)
{
    /// <summary>Records the patch as it now is (just published, promoted or revoked) in each of its kernels, adding the
    /// kernels it is the first patch of; call inside the change's transaction, after the patch has its id and the patch
    /// catalog has it (<see cref="RepositoryDatabase.InsertPatch"/>, <see cref="RepositoryDatabase.UpdatePatch"/>).</summary>
    /// <param name="patch">The patch.</param>
    /// <param name="published">True for a patch just inserted: a kernel it is the only patch of has no document yet.</param>
    public void Track(PatchDocument patch, bool published = false)
    {
        // Built from the in-memory patch catalog (which already has the patch as it now is) rather than read back from
        // LiteDB: a bulk publish touches 10,000 kernels, and a read per kernel was half of its time. A kernel whose only
        // patch is this one is new: inserted in one call, with no lookup.
        var created = new List<KernelDocument>();
        var changed = new List<KernelDocument>();
        foreach (var buildId in patch.BuildIds.Distinct(StringComparer.Ordinal))
        {
            var patches = db.PatchesFor(buildId);
            var kernel = new KernelDocument
            {
                Id = buildId,
                KernelRelease = patches.Count > 0 ? patches[0].KernelRelease : patch.KernelRelease,
                Patches = [.. patches.Where(p => p.Id != patch.Id).Select(EntryOf).Append(EntryOf(patch)).OrderBy(p => p.Id)],
            };
            (published && kernel.Patches.Count == 1 ? created : changed).Add(kernel);
        }

        db.Kernels.Insert(created);
        db.Kernels.Upsert(changed);
    }

    /// <summary>Removes a deleted patch from its kernels, and each kernel it leaves without patches; call inside the
    /// change's transaction.</summary>
    public void Untrack(PatchDocument patch)
    {
        foreach (var buildId in patch.BuildIds.Distinct(StringComparer.Ordinal))
        {
            if (db.Kernels.FindById(buildId) is not { } kernel)
            {
                continue;
            }

            kernel.Patches.RemoveAll(p => p.Id == patch.Id);
            if (kernel.Patches.Count == 0)
            {
                db.Kernels.Delete(buildId);
            }
            else
            {
                db.Kernels.Update(kernel);
            }
        }
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
    public static Dictionary<string, KernelDocument> FromPatches(IEnumerable<PatchDocument> patches)
    {
        var kernels = new Dictionary<string, KernelDocument>(StringComparer.Ordinal);
        foreach (var patch in patches)
        {
            var entry = EntryOf(patch);
            foreach (var buildId in patch.BuildIds.Distinct(StringComparer.Ordinal))
            {
                if (!kernels.TryGetValue(buildId, out var kernel))
                {
                    kernels[buildId] = kernel = new KernelDocument { Id = buildId, KernelRelease = patch.KernelRelease };
                }

                kernel.Patches.Add(entry);
            }
        }

        foreach (var kernel in kernels.Values)
        {
            kernel.Patches.Sort((a, b) => a.Id.CompareTo(b.Id));
        }

        return kernels;
    }

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
