using LivePatch.Server.Audit;
using LivePatch.Server.Manifests;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Publishing;

// Group commit: the writes queued while the lock was held run together in one transaction.
public sealed partial class ManifestWriter
{
    /// <summary>Test seam: sees the size of every group before it runs, under the writer lock.</summary>
    internal Action<int>? GroupStarting { get; set; }

    /// <summary>How many writes wait for the writer lock now (tests).</summary>
    internal int QueuedWrites
    {
        get
        {
            lock (_queue)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Runs a write under the writer lock, grouped with the writes queued beside it (<see cref="RunGroup"/>), then
    /// renders, batch by batch, the kernels its <see cref="Commit"/> left (recorded in the <see cref="WriteBatches"/>
    /// <paramref name="work"/> is given) and their bins, then the index. With <paramref name="audit"/>, the write's audit
    /// record is stored in the same transaction as what the work did.</summary>
    internal Outcome<T> Write<T>(Func<WriteBatches, Outcome<T>> work, AuditedWrite<T>? audit = null) where T : class
    {
        var write = new QueuedWrite(batches =>
        {
            var outcome = work(batches);
            if (audit is not null)
            {
                batches.OnRollback(audit.RolledBack);
                audit.Store(outcome);
            }

            return outcome;
        });
        lock (_queue)
        {
            _queue.Enqueue(write);
        }

        lock (_writer)
        {
            // Whoever holds the lock runs every write queued meanwhile: this one may be done already by the time it gets it.
            while (!write.Done)
            {
                var group = TakeGroup();
                try
                {
                    RunGroup(group);
                }
                catch (Exception e)
                {
                    group.Where(w => !w.Done).ToList().ForEach(w => w.Fail(e)); // every write taken ends, so no thread waits forever
                }
            }
        }

        audit?.Committed();
        write.Failure?.Throw();
        if (write.Batches.PendingId is { } id)
        {
            FinishLaterBatches(id, write.Batches);
        }

        return (Outcome<T>)write.Outcome!;
    }

    /// <summary>Makes the change and re-signs the first <see cref="RenderBatchSize"/> kernels' manifests in the group's
    /// transaction, which also stores the other kernels as one pending write; call from <see cref="Write"/>'s work.</summary>
    internal void Commit(Action change, IReadOnlyList<string> buildIds, WriteBatches batches)
    {
        EnsureLocked();
        var staged = _staged ?? throw new InvalidOperationException("A change is committed from the work a Write runs.");
        var kernels = buildIds.Distinct(StringComparer.Ordinal).ToList();
        var rest = kernels.Skip(RenderBatchSize).ToList();
        var pendingId = rest.Count > 0 ? Guid.NewGuid().ToString("N") : null;
        change();
        if (pendingId is not null)
        {
            db.PendingWrites.Insert(new PendingWriteDocument { Id = pendingId, BuildIds = rest });
        }

        staged.AddRange(manifests.RenderInTransaction(kernels.Take(RenderBatchSize), NextVersion));
        batches.Committed(kernels, rest, pendingId);
    }

    /// <summary>Takes the writes queued so far, at most <see cref="MaxGroupWrites"/>, oldest first.</summary>
    private List<QueuedWrite> TakeGroup()
    {
        lock (_queue)
        {
            var group = new List<QueuedWrite>(Math.Min(_queue.Count, MaxGroupWrites));
            while (group.Count < MaxGroupWrites && _queue.TryDequeue(out var write))
            {
                group.Add(write);
            }

            return group;
        }
    }

    /// <summary>Runs a group of writes in one transaction (one fsync of the signed documents, one commit), each seeing the
    /// changes of those before it, with the bins of the writes that are complete and the index when those bins fit one
    /// batch (<see cref="RenderCoverageInGroup"/>); otherwise the bins and the index follow in batches of their own.</summary>
    /// <remarks>A write that throws rolls the whole transaction back: every write of the group is then run again on its own,
    /// so one failure fails only its own request. A write's answer waits for the group's commit: what it was told is stored
    /// is on disk.</remarks>
    private void RunGroup(List<QueuedWrite> group)
    {
        GroupStarting?.Invoke(group.Count);
        var staged = new List<RenderedManifest>();
        _staged = staged;
        GroupCoverage? signed = null;
        try
        {
            db.InTransaction(() =>
            {
                foreach (var write in group)
                {
                    write.Run();
                }

                signed = RenderCoverageInGroup(group);
                return group.Count;
            });
        }
        catch (Exception e)
        {
            group.ForEach(write => write.RolledBack());
            if (group.Count == 1)
            {
                group[0].Fail(e);
                return;
            }

            group.ForEach(write => RunGroup([write]));
            return;
        }
        finally
        {
            _staged = null;
        }

        // Served in the order they name each other: the manifests, then the bins listing them, then the index.
        manifests.Apply(staged);
        if (signed is not null)
        {
            coverage.Apply(signed.Bins);
            if (signed.Index is { } rendered)
            {
                index.Apply(rendered);
            }
        }

        group.ForEach(write => write.Committed(_inFlight));
        if (signed is not null)
        {
            return;
        }

        var complete = group.Where(write => write.Batches.PendingId is null).ToList();
        try
        {
            RenderCoverage(BinsOf(complete.SelectMany(write => write.Batches.Kernels)));
        }
        catch (Exception e)
        {
            complete.ForEach(write => write.Fail(e)); // committed; the bins stay marked pending for the re-signer
        }
    }

    /// <summary>In the group's transaction, after its writes: re-signs their bins and then the index, when every write of the
    /// group is complete (no later batches) and their bins are at most <see cref="BinBatchSize"/> (a group of single-kernel
    /// writes); otherwise null, rendering nothing (the bins and the index follow in batches of their own).</summary>
    /// <remarks>One transaction for the writes, their bins and the index instead of three: one commit and one fsync of each
    /// file per group, where the single publishes of a vendor's CI used to pay three. The bins are the ones the writes'
    /// manifests just marked pending; the marks are removed in the same transaction.</remarks>
    private GroupCoverage? RenderCoverageInGroup(List<QueuedWrite> group)
    {
        if (group.Any(write => write.Batches.PendingId is not null))
        {
            return null; // a bulk write's later batches follow the group; its bins and the index follow them
        }

        var bins = BinsOf(group.SelectMany(write => write.Batches.Kernels));
        if (bins.Count > BinBatchSize)
        {
            return null;
        }

        BetweenBatches?.Invoke();
        var rendered = coverage.RenderInTransaction(bins.Order(StringComparer.Ordinal), NextVersion, _staged);
        var signedIndex = rendered.Count > 0 || index.NeedsRendering ? index.Render(NextVersion, rendered) : null;
        return new GroupCoverage(rendered, signedIndex);
    }

    /// <summary>What a group's transaction signed besides its manifests (<see cref="RenderCoverageInGroup"/>).</summary>
    private sealed record GroupCoverage(IReadOnlyList<RenderedBin> Bins, RenderedIndex? Index);

    /// <summary>After the lock: the manifests of a write's later batches, its pending document, then its bins and the index.</summary>
    private void FinishLaterBatches(string pendingId, WriteBatches batches)
    {
        try
        {
            RenderManifests(batches.Rest);
            lock (_writer)
            {
                db.PendingWrites.Delete(pendingId);
            }
        }
        finally
        {
            lock (_writer)
            {
                _inFlight.Remove(pendingId);
            }
        }

        RenderCoverage(BinsOf(batches.Kernels));
    }
}
