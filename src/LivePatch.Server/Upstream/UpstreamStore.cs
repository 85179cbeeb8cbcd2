using LivePatch.Core.Repository;
using LivePatch.Server.Manifests;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Upstream;

/// <summary>The writing half of an import, run only once the whole run verified: the vendor's patches become the site's own
/// through the publish path's writer (<see cref="ManifestWriter"/>: versions, manifests signed by the site key with the
/// site's lifetime, bins, the index), the vendor's revocations go through the site's revoke path, and the import state is
/// recorded last, so an interrupted run is done again and finds what it had stored.</summary>
internal sealed class UpstreamStore(RepositoryDatabase db, BlobStore blobs, ManifestService manifests, ManifestWriter writer, PatchService patches,
    TimeProvider time, ILogger logger)
{
    /// <summary>The site's revoke path takes reasons of at most this many characters; a vendor may sign longer ones.</summary>
    private const int MaxReasonLength = 1000;

    public Outcome<UpstreamSyncSummary> Store(UpstreamPlan plan, string sourceDescription)
    {
        var repository = plan.Index.Repository;
        var changes = writer.Write<ImportChanges>(batches => StorePatches(plan, batches));
        if (changes.Problem is { } problem)
        {
            return problem;
        }

        var revoked = RevokeWhatTheVendorRevoked(plan);
        writer.Write<ImportChanges>(batches =>
        {
            writer.Commit(() => RecordState(plan), [], batches);
            return changes.Value!;
        });
        return new UpstreamSyncSummary
        {
            Repository = repository,
            Version = plan.Index.Version,
            Source = sourceDescription,
            Imported = changes.Value!.Imported,
            Updated = changes.Value.Updated,
            Revoked = revoked,
            Skipped = changes.Value.Skipped,
        };
    }

    /// <summary>Under the writer lock: the new and changed site patches, checked against what the site holds now, then stored
    /// in one transaction with the first batch of their manifests.</summary>
    private Outcome<ImportChanges> StorePatches(UpstreamPlan plan, WriteBatches batches)
    {
        var changes = new ImportChanges(plan, db, time.GetUtcNow().ToUnixTimeMilliseconds());
        foreach (var manifest in plan.Manifests)
        {
            changes.Add(manifest);
        }

        if ((changes.CheckAgainstSite() ?? CheckBudget(changes)) is { } problem)
        {
            return problem;
        }

        var created = changes.New.Select(doc => plan.Modules[UpstreamPatchKey.Of(doc)].Bytes)
            .Where(bytes => blobs.Put(bytes, out _) == BlobPutResult.Created)
            .Select(bytes => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))).ToList();
        batches.OnRollback(() => created.ForEach(sha256 => blobs.Delete(sha256))); // no patch references them: never leave them served
        writer.Commit(() =>
        {
            changes.New.ForEach(db.InsertPatch);
            changes.Changed.ForEach(db.UpdatePatch);
        }, changes.Kernels, batches);

        return changes;
    }

    private Publishing.RepositoryProblem? CheckBudget(ImportChanges changes)
    {
        foreach (var channel in changes.Channels)
        {
            if (manifests.FirstOverBudgetOrNull(channel, changes.Kernels, changes.PatchesAfter) is { } over)
            {
                return new(ProblemCodes.ManifestBudgetExceeded,
                    $"Importing would make the '{over.Channel}' manifest of kernel {over.BuildId} {over.Bytes} bytes, above LivePatch:MaxManifestBytes.");
            }
        }

        return null;
    }

    /// <summary>Each site copy of a patch a verified vendor manifest lists as revoked, revoked with the vendor's reason through
    /// the site's own revoke path (so its hosts remove it); returns how many.</summary>
    private int RevokeWhatTheVendorRevoked(UpstreamPlan plan)
    {
        var count = 0;
        var revocations = plan.Manifests.SelectMany(m => m.Manifest.Revoked).DistinctBy(UpstreamPatchKey.Of);
        foreach (var revocation in revocations)
        {
            if (UpstreamModules.FindOrNull(db, plan.Index.Repository, UpstreamPatchKey.Of(revocation)) is not { RevokedMs: null } doc)
            {
                continue; // never imported, or revoked here already
            }

            var reason = revocation.Reason.Length <= MaxReasonLength ? revocation.Reason : revocation.Reason[..(MaxReasonLength - 1)] + "…";
            var outcome = patches.Revoke(doc.Id, reason);
            if (outcome.Problem is null)
            {
                count++;
            }
            else
            {
                logger.LogWarning("Upstream revoked {Name} level {Level}; revoking site patch {Id} failed: {Code}", doc.Name, doc.Level, doc.Id, outcome.Problem.Code);
            }
        }

        return count;
    }

    private void RecordState(UpstreamPlan plan)
    {
        var repository = plan.Index.Repository;
        var previous = db.Upstreams.FindById(repository);
        db.Upstreams.Upsert(new UpstreamDocument
        {
            Id = repository,
            IndexVersion = Math.Max((long)plan.Index.Version, previous?.IndexVersion ?? 0),
            Bins = [.. plan.Bins],
            ImportedMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        });
        db.UpstreamKernels.Upsert(plan.Manifests.Select(m => new UpstreamKernelDocument
        {
            Id = UpstreamKernelDocument.KeyOf(repository, m.Manifest.Channel, m.Manifest.BuildId),
            Version = (long)m.Manifest.Version,
        }));
    }
}
