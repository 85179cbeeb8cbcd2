using LivePatch.Core.Repository;
using LivePatch.Server.Manifests;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Publishing;

/// <summary>The one writer lock that every write to patches, manifests and blobs takes, and the signing of a write's
/// manifests in batches: a write's first transaction stores the change with the first <see cref="RenderBatchSize"/> kernels'
/// manifests and records the others as pending; each further batch takes the lock on its own, so another write (an
/// emergency revoke) waits for one batch, never for a whole bulk publish, promotion or re-sign.</summary>
/// <remarks>A crash or failure between batches leaves kernels recorded as pending in LiteDB; the re-signer renders them on
/// its next pass (the first at start). LiteDB transactions are per thread: nothing here awaits inside one.</remarks>
public sealed class ManifestWriter(RepositoryDatabase db, ManifestService manifests)
{
    /// <summary>Kernels whose manifests one transaction re-renders and signs: what bounds how long a write holds the writer
    /// lock for signing, whatever the number of kernels it touches.</summary>
    internal const int RenderBatchSize = 32;

    private readonly Lock _writer = new();

    /// <summary>Test seam: runs before each batch that <see cref="RenderInBatches"/> takes the lock for.</summary>
    internal Action? BetweenBatches { get; set; }

    /// <summary>Runs a write under the one writer lock that every write to patches, manifests and blobs takes, then renders,
    /// batch by batch and outside the lock, the kernels its <see cref="Commit"/> left pending (<paramref name="work"/> adds them
    /// to the list it is given).</summary>
    internal Outcome<PatchInfo> Write(Func<List<string>, Outcome<PatchInfo>> work)
    {
        var pending = new List<string>();
        Outcome<PatchInfo> outcome;
        lock (_writer)
        {
            outcome = work(pending);
        }

        RenderInBatches(pending, onlyPending: true);
        return outcome;
    }

    /// <summary>Makes the change and re-signs the first <see cref="RenderBatchSize"/> kernels' manifests in one transaction, which
    /// also records the other kernels as pending; call under the writer lock. Returns the pending kernels, for
    /// <see cref="Write"/> to render after the lock is released.</summary>
    internal IReadOnlyList<string> Commit(Action change, IReadOnlyList<string> buildIds)
    {
        var kernels = buildIds.Distinct(StringComparer.Ordinal).ToList();
        var rest = kernels.Skip(RenderBatchSize).ToList();
        var rendered = db.InTransaction(() =>
        {
            change();
            db.PendingRenders.Upsert(rest.Select(k => new PendingRenderDocument { Id = k }));
            return manifests.RenderInTransaction(kernels.Take(RenderBatchSize));
        });
        manifests.Apply(rendered);
        return rest;
    }

    /// <summary>Re-signs the manifests of these kernels (a new version each), for the expiry timer.</summary>
    public int Resign(IReadOnlyList<string> buildIds) => RenderInBatches(buildIds, onlyPending: false);

    /// <summary>Renders what a change committed but did not render yet (a crash or a failure between its batches); the
    /// re-signer calls it on each pass, the first at start.</summary>
    public int CompletePending() => RenderInBatches(db.PendingRenders.FindAll().Select(p => p.Id).ToList(), onlyPending: true);

    /// <summary>Renders and signs these kernels' manifests, one batch per turn of the writer lock, so that another write
    /// (an emergency revoke) waits for one batch, never for a whole bulk publish or re-sign.</summary>
    /// <param name="buildIds">The kernels.</param>
    /// <param name="onlyPending">Render only kernels still marked pending (another thread may have rendered them meanwhile).</param>
    private int RenderInBatches(IReadOnlyList<string> buildIds, bool onlyPending)
    {
        var count = 0;
        foreach (var batch in buildIds.Distinct(StringComparer.Ordinal).Chunk(RenderBatchSize))
        {
            BetweenBatches?.Invoke();
            lock (_writer)
            {
                var kernels = onlyPending ? batch.Where(k => db.PendingRenders.FindById(k) is not null).ToList() : [.. batch];
                var rendered = db.InTransaction(() =>
                {
                    foreach (var kernel in kernels)
                    {
                        db.PendingRenders.Delete(kernel);
                    }

                    return manifests.RenderInTransaction(kernels);
                });
                manifests.Apply(rendered);
                count += rendered.Count;
            }
        }

        return count;
    }
}
