using LivePatch.Core.Manifests;
using LivePatch.Core.Repository;
using LivePatch.Server.Manifests;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Publishing;

/// <summary>The one writer lock that every write to patches, manifests, bins and blobs takes, the one place repository
/// versions are allocated, and the signing of a write's documents in short batches.</summary>
/// <remarks>
/// A write's first transaction stores the change with the first <see cref="RenderBatchSize"/> kernels' manifests and, when
/// there are more, one <see cref="PendingWriteDocument"/> naming the rest; each further batch of manifests, then of the
/// coverage bins the write changed, then the index, takes the lock on its own, so another write (an emergency revoke)
/// waits for one batch, never for a whole bulk publish, promotion or re-sign. Every signed document is re-signed after
/// what it names: a bin after its manifests, the index after its bins, so the server never serves a document naming one
/// older than itself.
/// <para>Writes that arrive while the lock is held queue, and the next holder runs all of them (at most
/// <see cref="MaxGroupWrites"/>) in one transaction: one fsync of the signed documents and one commit for the group, then
/// one re-sign of each bin the group's complete writes touched and one of the index (<c>ManifestWriter.Groups.cs</c>), in
/// the group's own transaction when no write of it has later batches and the bins fit one batch.
/// Every request is answered after the commit that stored its write.</para>
/// <para>A crash or failure between batches leaves the write's pending document and its bins marked pending in LiteDB;
/// the re-signer renders them on its next pass (the first at start, before requests). LiteDB transactions are per
/// thread: nothing here awaits inside one.</para>
/// </remarks>
public sealed partial class ManifestWriter(RepositoryDatabase db, ManifestService manifests, CoverageService coverage, IndexService index,
    Microsoft.Extensions.Options.IOptions<Configuration.RepositoryOptions> options)
{
    /// <summary>Documents one transaction signs: what bounds how long a write holds the writer lock for signing, whatever
    /// the number of kernels it touches (about 0.1 ms each: tens of milliseconds per batch, and one commit and one fsync
    /// per batch, which is what a smaller batch would multiply).</summary>
    internal const int RenderBatchSize = 256;

    /// <summary>Coverage bins one transaction signs: a bin lists every covered kernel of its prefix (about 400, 60 KB, at
    /// 100,000 kernels), so 32 of them are already about a tenth of a second that a revoke may wait.</summary>
    internal const int BinBatchSize = 32;

    /// <summary>Kernels one transaction of the expiry re-sign signs: larger than a write's batch, because a re-sign of every
    /// kernel is hundreds of batches and each commit costs; still about a tenth of a second that a revoke may wait.</summary>
    internal const int ResignBatchSize = 1024;

    /// <summary>Writes one group runs in one transaction: enough to share a commit among the single publishes of many CI
    /// jobs, few enough that a revoke queued behind a group waits for tens of milliseconds.</summary>
    internal const int MaxGroupWrites = 64;

    private readonly Lock _writer = new();

    /// <summary>Signed-document segments found dead by the last <see cref="ReclaimSignedSpace"/>.</summary>
    private HashSet<int> _deadAtLastPass = [];

    /// <summary>Writes waiting for the writer lock.</summary>
    private readonly Queue<QueuedWrite> _queue = new();

    /// <summary>The manifests the running group's transaction rendered, served once it commits; null outside a group.</summary>
    private List<RenderedManifest>? _staged;

    /// <summary>Pending writes whose batches a thread is rendering now; the re-signer leaves them to it.</summary>
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Test seam: runs before each batch that takes the lock for rendering.</summary>
    internal Action? BetweenBatches { get; set; }

    /// <summary>Test seam: sees every version handed out, in order, under the writer lock.</summary>
    internal Action<long>? VersionAllocated { get; set; }

    /// <summary>Re-signs the manifests of these kernels (a new version each) and every bin that is missing or due, then the
    /// index: the expiry timer's pass. Returns how many manifests were re-signed.</summary>
    public int Resign(IReadOnlyList<string> buildIds)
    {
        var count = RenderManifests(buildIds, ResignBatchSize);
        RenderCoverage(coverage.MissingOrDue(), alsoPending: true);
        return count;
    }

    /// <summary>Renders what writes committed but did not finish rendering (a crash or a failure between batches, or a server
    /// version that kept one pending document per kernel), then every bin still pending, missing or due, then the index;
    /// the re-signer calls it on each pass, and the start-up before the first request.</summary>
    /// <param name="startUp">Before the first request: bins that are merely due are left to the re-signer (still valid for
    /// half their lifetime), so that a start after a long stop does not wait for them.</param>
    public int CompletePending(bool startUp = false)
    {
        var count = 0;
        List<PendingWriteDocument> writes;
        lock (_writer)
        {
            writes = db.PendingWrites.FindAll().Where(w => !_inFlight.Contains(w.Id)).ToList();
            _inFlight.UnionWith(writes.Select(w => w.Id));
        }

        foreach (var write in writes)
        {
            try
            {
                count += RenderManifests(write.BuildIds);
                lock (_writer)
                {
                    db.PendingWrites.Delete(write.Id);
                }
            }
            finally
            {
                lock (_writer)
                {
                    _inFlight.Remove(write.Id);
                }
            }
        }

        var legacy = db.PendingRenders.FindAll().Select(p => p.Id).ToList();
        count += RenderManifests(legacy);
        lock (_writer)
        {
            db.PendingRenders.DeleteAll();
        }

        RenderCoverage(startUp ? coverage.Missing() : coverage.MissingOrDue(), alsoPending: true);
        return count;
    }

    /// <summary>Renders and signs these kernels' manifests, one batch per turn of the writer lock.</summary>
    private int RenderManifests(IReadOnlyList<string> buildIds, int batchSize = RenderBatchSize)
    {
        var count = 0;
        foreach (var batch in buildIds.Distinct(StringComparer.Ordinal).Chunk(batchSize))
        {
            BetweenBatches?.Invoke();
            lock (_writer)
            {
                var rendered = db.InTransaction(() => manifests.RenderInTransaction(batch, NextVersion));
                manifests.Apply(rendered);
                count += rendered.Count;
            }
        }

        return count;
    }

    /// <summary>Re-signs those of these bins that are marked pending, a batch per turn of the lock, then the index when a bin
    /// changed or it is due. With <paramref name="alsoPending"/> (the re-signer and the start-up), all of these bins (the
    /// missing or due ones it passes) and every other bin marked pending.</summary>
    /// <remarks>A write re-signs only the bins of its own kernels: a revoke never waits for the bins of a bulk publish
    /// running beside it, which re-signs them itself.</remarks>
    private void RenderCoverage(IReadOnlyCollection<string> bins, bool alsoPending = false)
    {
        var wanted = bins.ToHashSet(StringComparer.Ordinal);
        var keys = alsoPending ? [.. wanted.Concat(db.PendingBinKeys()).Distinct(StringComparer.Ordinal)] : wanted.ToList();
        foreach (var batch in keys.Order(StringComparer.Ordinal).Chunk(BinBatchSize))
        {
            BetweenBatches?.Invoke();
            lock (_writer)
            {
                // Another write may have re-signed a pending bin meanwhile; re-signing it again would only cost a signature.
                var due = batch.Where(k => (alsoPending && wanted.Contains(k)) || db.IsBinPending(k)).ToList();
                var rendered = db.InTransaction(() => coverage.RenderInTransaction(due, NextVersion));
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

    /// <summary>Deletes the signed-document segments that held only replaced documents already at the previous call (the
    /// re-signer's previous pass); returns how many.</summary>
    /// <remarks>A segment is deleted only once the commits that replaced its documents are a whole re-sign period old
    /// (minutes at least). Those commits are on disk when they return (<see cref="Storage.LiteDbLog"/>), so no crash brings
    /// back a record naming the segment; the wait is a margin that costs only disk space. (Forcing a LiteDB checkpoint
    /// while requests read and write was tried: LiteDB 5.0 then corrupted its file now and then.) The start-up deletes the
    /// rest.</remarks>
    public int ReclaimSignedSpace()
    {
        lock (_writer)
        {
            var removed = db.Signed.DeleteDeadSegments(_deadAtLastPass);
            _deadAtLastPass = [.. db.Signed.DeadSegments()];
            return removed;
        }
    }

    /// <summary>The bins (every channel) of these kernels.</summary>
    private List<string> BinsOf(IEnumerable<string> buildIds) =>
        [.. buildIds.Select(CoverageBin.PrefixOf).Distinct(StringComparer.Ordinal)
            .SelectMany(prefix => options.Value.Channels.Select(channel => BinDocument.KeyOf(channel, prefix)))];

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
