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
        var referenced = db.Patches.FindAll().Select(p => p.Sha256).ToHashSet(StringComparer.Ordinal);
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
}
