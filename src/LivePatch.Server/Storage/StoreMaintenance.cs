using LivePatch.Core;
using LivePatch.Core.Modules;

namespace LivePatch.Server.Storage;

/// <summary>Start-up repairs of the store: what a crash or an older server version left behind.</summary>
/// <remarks>Runs before the server takes requests, so no publish is under way while it looks.</remarks>
public sealed class StoreMaintenance(RepositoryDatabase db, BlobStore blobs, ILogger<StoreMaintenance> logger)
{
    /// <summary>Deletes every blob no patch references; returns how many.</summary>
    /// <remarks>
    /// A publish writes its blob before the transaction that stores the patch, so a crash between the two, or a failed
    /// publish of an older version, leaves a module that was never published yet is served to anyone who knows its hash.
    /// </remarks>
    public int RemoveUnreferencedBlobs()
    {
        var referenced = db.AllPatches().Select(p => p.Sha256).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        foreach (var sha256 in blobs.EnumerateHashes().Where(h => !referenced.Contains(h)).ToList())
        {
            if (blobs.Delete(sha256))
            {
                logger.LogWarning("Removed blob {Sha256}: no patch references it (left by a publish that did not complete)", sha256);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Deletes the signed-document segments no stored manifest or bin names any longer; returns how many.</summary>
    /// <remarks>Runs after the manifests and bins were loaded (each counted as live in its segment) and before requests:
    /// what replaced them was committed by an earlier process, so no crash can bring a record naming them back.</remarks>
    public int RemoveDeadSignedSegments()
    {
        var (before, live) = db.Signed.Usage();
        var removed = db.Signed.DeleteDeadSegments();
        if (removed > 0)
        {
            logger.LogInformation("Removed {Count} signed-document segment(s) holding only replaced documents ({Freed} of {Before} bytes; {Live} live)",
                removed, before - db.Signed.Usage().OnDisk, before, live);
        }

        if (db.Signed.UnreadableCount > 0)
        {
            logger.LogWarning("{Count} stored manifest(s) and bin(s) had their signed bytes missing or damaged (a lost or altered file under signed/): "
                + "they are signed again before requests", db.Signed.UnreadableCount);
        }

        if (db.MigratedSignedDocuments > 0)
        {
            logger.LogInformation("Moved the signed bytes of {Count} manifest(s) and bin(s) out of LiteDB into the signed-document store",
                db.MigratedSignedDocuments);
        }

        if (db.MigratedManifestRecords > 0)
        {
            logger.LogInformation("Moved {Count} manifest record(s) from one LiteDB document each into batch documents", db.MigratedManifestRecords);
        }

        return removed;
    }

    /// <summary>Computes <see cref="PatchDocument.ModuleSha256"/> for patches stored before it existed; returns how many.</summary>
    /// <remarks>
    /// Once, from each patch's own blob, so the duplicate check never has to decompress at publish time. A patch whose
    /// blob is missing or no longer reads as a module keeps an unknown digest (logged): it is then compared by blob only.
    /// </remarks>
    public int BackfillModuleDigests()
    {
        var filled = 0;
        foreach (var patch in db.Patches.FindAll().Where(p => p.ModuleSha256 is null).ToList())
        {
            try
            {
                var path = blobs.PathOrNull(patch.Sha256) ?? throw new FileNotFoundException("the blob is missing");
                var module = ModuleFile.Load(path);
                patch.ModuleSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(module.Bytes.Span));
                db.UpdatePatch(patch);
                filled++;
            }
            catch (Exception e) when (e is IOException or LivePatchFormatException)
            {
                logger.LogWarning("Patch {Id} ({Sha256}): module digest unknown, duplicates are found by blob hash only: {Reason}", patch.Id, patch.Sha256, e.Message);
            }
        }

        if (filled > 0)
        {
            logger.LogInformation("Computed the module digest of {Count} patch(es) published before it was stored", filled);
        }

        return filled;
    }
}
