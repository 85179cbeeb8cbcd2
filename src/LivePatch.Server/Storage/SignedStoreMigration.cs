using System.Security.Cryptography;
using LiteDB;

namespace LivePatch.Server.Storage;

/// <summary>Moves the signed bytes of manifests and coverage bins that older servers kept inside LiteDB into the
/// <see cref="SignedStore"/>, once, when a database is first opened by a server that has the store.</summary>
/// <remarks>
/// In chunks: the chunk's bytes are appended, then one transaction points its records at them (the store is synced before
/// the commit). A crash part-way leaves some records moved and the rest as they were, and appended bytes no record names;
/// the next start moves the rest. A marker in <c>counters</c> says it is done, so later starts do not read every record
/// for it. LiteDB reuses the pages the bytes leave; the file does not shrink.
/// </remarks>
internal static class SignedStoreMigration
{
    private const string Marker = "signed-store";
    private const int ChunkSize = 1024;

    /// <summary>Moves what is left to move; returns how many records it moved.</summary>
    public static int Run(RepositoryDatabase db, ILiteCollection<CounterDocument> counters)
    {
        if (counters.FindById(Marker) is not null)
        {
            return 0;
        }

        var moved = Move(db, db.LegacyManifests) + Move(db, db.Bins);
        db.InTransaction(() => counters.Upsert(new CounterDocument { Id = Marker, Value = 1 }));
        return moved;
    }

    private static int Move<T>(RepositoryDatabase db, ILiteCollection<T> collection) where T : class, ISignedRecord
    {
        // Ids first: a query is not enumerated while the same collection is written.
        var legacy = collection.Query().Where("$.Signed != null").Select("_id").ToDocuments().Select(d => d["_id"]).ToList();
        foreach (var chunk in legacy.Chunk(ChunkSize))
        {
            db.InTransaction(() =>
            {
                foreach (var id in chunk)
                {
                    var record = collection.FindById(id);
                    var signed = record.Signed!;
                    record.Locate(db.Signed.Append(signed), Convert.ToHexStringLower(SHA256.HashData(signed)));
                    collection.Update(record);
                }

                return chunk.Length;
            });
        }

        return legacy.Count;
    }
}
