using System.Security.Cryptography;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Tests;

public sealed class BlobStoreTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("lpatch-blobs-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private static string Sha(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    [Theory]
    [InlineData(3)] // several new: written, flushed and renamed together
    [InlineData(1)] // one new: a put of its own
    public void PutMany_StoresEachNewContentOnce_ReportsOnlyThoseItWrote_LeavesNoTempFile(int fresh)
    {
        var store = new BlobStore(_data);
        byte[] present = [1, 2, 3];
        Assert.Equal(BlobPutResult.Created, store.Put(present, out _));
        var added = Enumerable.Range(0, fresh).Select(i => new byte[] { 9, (byte)i, 7 }).ToList();
        var created = new List<string>();

        // The one already there, each new one twice (a batch may send one module for two patches).
        store.PutMany([present, .. added, .. added], created);

        Assert.Equal(added.Select(Sha).Order(), created.Order());
        foreach (var content in added.Append(present))
        {
            Assert.Equal(content, File.ReadAllBytes(store.PathOrNull(Sha(content))!));
        }

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_data, "blobs", "tmp")));
        Assert.Equal(fresh + 1, store.EnumerateHashes().Count());
    }
}
