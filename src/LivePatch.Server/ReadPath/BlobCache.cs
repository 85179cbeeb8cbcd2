using LivePatch.Server.Storage;
using System.Collections.Concurrent;

namespace LivePatch.Server.ReadPath;

/// <summary>Module files kept in memory for the read path: livepatch modules are small and immutable, so a blob read
/// once is served from memory afterwards. Bounded in total bytes; large files are always read from disk.</summary>
public sealed class BlobCache
{
    private const long MaxTotalBytes = 256L * 1024 * 1024;
    private const long MaxBlobBytes = 8L * 1024 * 1024;
    private readonly BlobStore _store;
    private readonly ConcurrentDictionary<string, CachedBlob> _blobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedBlob>.AlternateLookup<ReadOnlySpan<char>> _blobsByHash;
    private long _total;

    public BlobCache(BlobStore store)
    {
        _store = store;
        _blobsByHash = _blobs.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>A blob already in memory, without touching the disk or allocating: the hot read path.</summary>
    public bool TryGetCached(ReadOnlySpan<char> sha256, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CachedBlob? blob) =>
        _blobsByHash.TryGetValue(sha256, out blob);

    /// <summary>The blob's bytes and strong ETag, or null when it is absent, too large to cache, or the hash is malformed.</summary>
    public CachedBlob? GetOrNull(string sha256)
    {
        if (_blobs.TryGetValue(sha256, out var cached))
        {
            return cached;
        }

        if (_store.PathOrNull(sha256) is not { } path || new FileInfo(path).Length > MaxBlobBytes)
        {
            return null;
        }

        var blob = new CachedBlob(File.ReadAllBytes(path), $"\"{sha256}\"");
        if (Interlocked.Add(ref _total, blob.Bytes.Length) > MaxTotalBytes)
        {
            Interlocked.Add(ref _total, -blob.Bytes.Length);
            return blob; // served, not kept: the cache is full
        }

        var kept = _blobs.GetOrAdd(sha256, blob);
        if (!ReferenceEquals(kept, blob))
        {
            Interlocked.Add(ref _total, -blob.Bytes.Length); // another reader cached it first
        }
        else if (_store.PathOrNull(sha256) is null)
        {
            Evict(sha256); // deleted while it was being read: Evict ran before the add and would miss it
        }

        return kept;
    }

    /// <summary>Stops serving a blob from memory; call after its file is deleted.</summary>
    public void Evict(string sha256)
    {
        if (_blobs.TryRemove(sha256, out var removed))
        {
            Interlocked.Add(ref _total, -removed.Bytes.Length);
        }
    }
}

/// <summary>A blob held in memory with its ETag (the quoted SHA-256).</summary>
public sealed record CachedBlob(byte[] Bytes, string ETag);
