using LivePatch.Core.Repository;
using LivePatch.Server.Manifests;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Publishing;

/// <summary>The one writer lock that every write to patches, manifests, bins and blobs takes, the one place repository
/// versions are allocated, and the signing of a write's documents in short batches.</summary>
/// <remarks>
/// A write's first transaction stores the change with the first <see cref="RenderBatchSize"/> kernels' manifests and
/// records the other kernels as pending; each further batch of manifests, then of the coverage bins they changed, then the
/// index, takes the lock on its own, so another write (an emergency revoke) waits for one batch, never for a whole bulk
/// publish, promotion or re-sign. Every signed document is re-signed after what it names: a bin after its manifests, the
/// index after its bins, so the server never serves a document naming one older than itself.
/// <para>A crash or failure between batches leaves kernels and bins recorded as pending in LiteDB; the re-signer renders them
/// on its next pass (the first at start). LiteDB transactions are per thread: nothing here awaits inside one.</para>
/// </remarks>
public sealed class ManifestWriter(RepositoryDatabase db, ManifestService manifests, CoverageService coverage, IndexService index)
{
    /// <summary>Documents one transaction signs: what bounds how long a write holds the writer lock for signing, whatever
    /// the number of kernels it touches.</summary>
    internal const int RenderBatchSize = 32;

    private readonly Lock _writer = new();

    /// <summary>Test seam: runs before each batch that takes the lock for rendering.</summary>
    internal Action? BetweenBatches { get; set; }

    /// <summary>Test seam: sees every version handed out, in order, under the writer lock.</summary>
    internal Action<long>? VersionAllocated { get; set; }

    /// <summary>Runs a write under the writer lock, then renders, batch by batch, what its <see cref="Commit"/> left
    /// pending (<paramref name="work"/> adds the kernels to the list it is given), the bins and the index.</summary>
    internal Outcome<PatchInfo> Write(Func<List<string>, Outcome<PatchInfo>> work)
    {
        var pending = new List<string>();
        Outcome<PatchInfo> outcome;
        lock (_writer)
        {
            outcome = work(pending);
        }

        RenderManifests(pending, onlyPending: true);
        RenderCoverage([]);
        return outcome;
    }

    /// <summary>Makes the change and re-signs the first <see cref="RenderBatchSize"/> kernels' manifests in one transaction, which
    /// also records the other kernels as pending; call under the writer lock. Returns the pending kernels, for
    /// <see cref="Write"/> to render after the lock is released.</summary>
    internal IReadOnlyList<string> Commit(Action change, IReadOnlyList<string> buildIds)
    {
        EnsureLocked();
        var kernels = buildIds.Distinct(StringComparer.Ordinal).ToList();
        var rest = kernels.Skip(RenderBatchSize).ToList();
        var rendered = db.InTransaction(() =>
        {
            change();
            db.PendingRenders.Upsert(rest.Select(k => new PendingRenderDocument { Id = k }));
            return manifests.RenderInTransaction(kernels.Take(RenderBatchSize), NextVersion);
        });
        manifests.Apply(rendered);
        return rest;
    }

    /// <summary>Re-signs the manifests of these kernels (a new version each) and every bin that is missing or due, then the
    /// index: the expiry timer's pass. Returns how many manifests were re-signed.</summary>
    public int Resign(IReadOnlyList<string> buildIds)
    {
        var count = RenderManifests(buildIds, onlyPending: false);
        RenderCoverage(coverage.MissingOrDue());
        return count;
    }

    /// <summary>Renders what a change committed but did not render yet (a crash or a failure between its batches), and
    /// the bins and index that follow; the re-signer calls it on each pass, the first at start.</summary>
    public int CompletePending()
    {
        var count = RenderManifests(db.PendingRenders.FindAll().Select(p => p.Id).ToList(), onlyPending: true);
        RenderCoverage(coverage.MissingOrDue());
        return count;
    }

    /// <summary>Renders and signs these kernels' manifests, one batch per turn of the writer lock.</summary>
    /// <param name="buildIds">The kernels.</param>
    /// <param name="onlyPending">Render only kernels still marked pending (another thread may have rendered them meanwhile).</param>
    private int RenderManifests(IReadOnlyList<string> buildIds, bool onlyPending)
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

                    return manifests.RenderInTransaction(kernels, NextVersion);
                });
                manifests.Apply(rendered);
                count += rendered.Count;
            }
        }

        return count;
    }

    /// <summary>Re-signs the bins marked pending plus <paramref name="alsoBins"/>, a batch per turn of the lock, then the index
    /// when a bin changed or it is due.</summary>
    private void RenderCoverage(IReadOnlyList<string> alsoBins)
    {
        var bins = db.PendingBins.FindAll().Select(b => b.Id).Concat(alsoBins).Distinct(StringComparer.Ordinal).ToList();
        var wanted = alsoBins.ToHashSet(StringComparer.Ordinal);
        foreach (var batch in bins.Chunk(RenderBatchSize))
        {
            BetweenBatches?.Invoke();
            lock (_writer)
            {
                // Another write may have re-signed a pending bin meanwhile; re-signing it again would only cost a signature.
                var keys = batch.Where(k => wanted.Contains(k) || db.PendingBins.FindById(k) is not null).ToList();
                var rendered = db.InTransaction(() => coverage.RenderInTransaction(keys, NextVersion));
                coverage.Apply(rendered);
            }
        }

        lock (_writer)
        {
            if (index.NeedsRendering)
            {
                index.Apply(db.InTransaction(() => index.Render(NextVersion)));
            }
        }
    }

    /// <summary>The next repository-wide version: the one place versions are handed out, always under the writer lock and
    /// inside the transaction that stores the document carrying it, so versions strictly increase across every write.</summary>
    private long NextVersion()
    {
        EnsureLocked();
        var version = db.NextVersion();
        VersionAllocated?.Invoke(version);
        return version;
    }

    private void EnsureLocked()
    {
        if (!_writer.IsHeldByCurrentThread)
        {
            throw new InvalidOperationException("Repository versions are allocated only under the writer lock.");
        }
    }
}
