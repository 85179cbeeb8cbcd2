using LivePatch.Core.Repository;
using LivePatch.Server.Audit;
using LivePatch.Server.ReadPath;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Publishing;

/// <summary>Deletes a patch published in error: it leaves every manifest (re-signed, a new version), its module file goes
/// when no other patch uses it, and its kernels are no longer bound to the kernel release it claimed.</summary>
/// <remarks>
/// Unlike a revocation, nothing is left in the manifests, so a host that applied the patch is never told to remove it:
/// deletion is for mistakes no host should have acted on (docs/api.md, "Deleting and revoking").
/// <para>
/// Order, as for publish in reverse: one transaction removes the record and re-signs the manifests, then, once it has
/// committed, the blob is deleted. A crash between leaves an unreferenced blob, never a manifest pointing at a missing file. All of it runs
/// under <see cref="PatchService"/>'s writer lock, so a publish of the same bytes cannot find the blob present between
/// the reference check and the removal.
/// </para>
/// <para>
/// A build ID's kernel release is not stored on its own (the kernel listing reads it from the patches): publish compares
/// a module's vermagic with the patches that remain for the build ID, so deleting the last of them releases it.
/// </para>
/// </remarks>
public sealed class PatchDeletion(
    PatchService patches,
    ManifestWriter writer,
    RepositoryDatabase db,
    BlobStore blobs,
    BlobCache cache,
    ILogger<PatchDeletion> logger)
{
    public Outcome<PatchInfo> Delete(int id, string admin, AuditedWrite<PatchInfo>? audit = null) =>
        writer.Write<PatchInfo>(batches => DeleteUnderLock(id, admin, batches), audit);

    private Outcome<PatchInfo> DeleteUnderLock(int id, string admin, WriteBatches batches)
    {
        if (db.Patches.FindById(id) is not { } doc)
        {
            return new RepositoryProblem(ProblemCodes.PatchNotFound, $"There is no patch {id}.");
        }

        writer.Commit(() => db.DeletePatch(id), doc.BuildIds, batches);
        // Once the deletion is stored, and looked at then: a write later in the same group may publish the same module.
        batches.AfterCommit(() =>
        {
            var sharedWith = db.Patches.FindOne(p => p.Sha256 == doc.Sha256);
            if (sharedWith is null)
            {
                blobs.Delete(doc.Sha256);
                cache.Evict(doc.Sha256);
            }

            logger.LogWarning("Deleted patch {Id} ({Name} level {Level}, {Sha256}) for {Kernels} kernel(s) by {Admin}; module file {Blob}",
                id, doc.Name, doc.Level, doc.Sha256, doc.BuildIds.Count, LogText.Printable(admin),
                sharedWith is null ? "removed" : $"kept for patch {sharedWith.Id}");
        });
        return patches.ToInfo(doc);
    }
}
