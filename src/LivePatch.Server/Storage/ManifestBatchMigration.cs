namespace LivePatch.Server.Storage;

/// <summary>Moves the manifest records older servers kept one LiteDB document each (collection <c>manifests</c>) into
/// <see cref="ManifestBatchDocument"/>s, once, when a database is first opened by a server that has them.</summary>
/// <remarks>
/// In chunks, each one transaction that inserts the chunk's batch and deletes its documents: a crash part-way leaves every
/// record in exactly one of the two places, and the next start moves the rest. The emptied collection is dropped, so later
/// starts find nothing to do. Runs after <see cref="SignedStoreMigration"/>, which gives the records their locations.
/// </remarks>
internal static class ManifestBatchMigration
{
    /// <summary>Records per batch document written: a few hundred kilobytes each.</summary>
    private const int ChunkSize = 4096;

    /// <summary>Moves what is left to move; returns how many records it moved.</summary>
    public static int Run(RepositoryDatabase db)
    {
        var legacy = db.LegacyManifests;
        if (!db.Database.CollectionExists(legacy.Name))
        {
            return 0;
        }

        var records = legacy.FindAll().ToList();
        foreach (var chunk in records.Chunk(ChunkSize))
        {
            db.InTransaction(() =>
            {
                db.ManifestBatches.Insert(new ManifestBatchDocument { Records = ManifestBatchCodec.Pack(chunk) });
                foreach (var record in chunk)
                {
                    legacy.Delete(record.Id);
                }

                return chunk.Length;
            });
        }

        db.Database.DropCollection(legacy.Name);
        db.FlushLog();
        return records.Count;
    }
}
