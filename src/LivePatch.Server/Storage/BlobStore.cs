using System.Security.Cryptography;
using LivePatch.Core;

namespace LivePatch.Server.Storage;

/// <summary>Whether a put wrote a new blob or found the same content already there.</summary>
public enum BlobPutResult
{
    Created,
    AlreadyExists,
}

/// <summary>Content-addressed module files on disk: <c>blobs/sha256/ab/&lt;hex&gt;</c>, written temp → fsync → rename.</summary>
/// <remarks>
/// Only a validated SHA-256 (64 lowercase hex digits) ever becomes a path, and the full path is checked to stay under
/// the root before the disk is touched (as BaGetter's file storage does). A blob is immutable once renamed into place.
/// </remarks>
public sealed class BlobStore
{
    private readonly string _root;
    private readonly string _temp;

    public BlobStore(string dataDirectory)
    {
        _root = Path.GetFullPath(Path.Combine(dataDirectory, "blobs", "sha256"));
        _temp = Path.GetFullPath(Path.Combine(dataDirectory, "blobs", "tmp"));
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(_temp);
    }

    public static bool IsSha256Hex(string? value) =>
        value is { Length: 64 } && value.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>The file of a blob, or null when the hash is not well-formed or the blob is absent.</summary>
    public string? PathOrNull(string sha256)
    {
        if (!IsSha256Hex(sha256))
        {
            return null;
        }

        var path = Path.GetFullPath(Path.Combine(_root, sha256[..2], sha256));
        return path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(path) ? path : null;
    }

    /// <summary>Stores <paramref name="content"/> under its SHA-256; durable on disk before this returns.</summary>
    public BlobPutResult Put(ReadOnlySpan<byte> content, out string sha256)
    {
        sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        if (PathOrNull(sha256) is not null)
        {
            return BlobPutResult.AlreadyExists;
        }

        var directory = Path.Combine(_root, sha256[..2]);
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory);
            DirectorySync.Flush(_root); // the new folder's entry, or the blob could vanish with it after a power cut
        }

        var temp = Path.Combine(_temp, $"{sha256}.{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            // Same content under the same name: losing a race to another writer is harmless.
            File.Move(temp, Path.Combine(directory, sha256), overwrite: true);
            DirectorySync.Flush(directory); // the rename itself: acknowledged means on disk
            return BlobPutResult.Created;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Stores every one of <paramref name="contents"/> under its SHA-256, durable on disk before this returns, with
    /// two flushes of the file system in all (syncfs) instead of two fsyncs per file; each blob this wrote (not one already
    /// there) is added to <paramref name="created"/> as soon as it is in place, so a caller can remove them should the rest
    /// fail.</summary>
    /// <remarks>For a batch publish of hundreds of modules, where an fsync of each file and of its folder would cost more
    /// than the rest of the batch. Temp files first, all flushed at once, then renamed into place, then the renames and new
    /// folders flushed at once: a crash leaves temp files (the start-up sweep removes them) or blobs no patch references
    /// (removed too), never a blob with unflushed bytes. A single new blob takes <see cref="Put"/>'s fsyncs: a flush of
    /// the whole file system costs more than those when other files on it are being written.</remarks>
    public void PutMany(IEnumerable<ReadOnlyMemory<byte>> contents, ICollection<string> created)
    {
        var writes = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        foreach (var content in contents)
        {
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(content.Span));
            if (!writes.ContainsKey(sha256) && PathOrNull(sha256) is null)
            {
                writes.Add(sha256, content);
            }
        }

        if (writes.Count <= 1)
        {
            foreach (var content in writes.Values)
            {
                if (Put(content.Span, out var sha256) == BlobPutResult.Created)
                {
                    created.Add(sha256);
                }
            }

            return;
        }

        var temps = writes.Keys.ToDictionary(sha256 => sha256, sha256 => Path.Combine(_temp, $"{sha256}.{Guid.NewGuid():N}"), StringComparer.Ordinal);
        try
        {
            foreach (var (sha256, content) in writes)
            {
                using var stream = new FileStream(temps[sha256], FileMode.CreateNew, FileAccess.Write);
                stream.Write(content.Span);
            }

            DirectorySync.FlushFileSystem(_temp); // every temp file's bytes
            foreach (var (sha256, temp) in temps)
            {
                var directory = Path.Combine(_root, sha256[..2]);
                Directory.CreateDirectory(directory);
                File.Move(temp, Path.Combine(directory, sha256), overwrite: true);
                created.Add(sha256);
            }

            DirectorySync.FlushFileSystem(_root); // the new folders and the renames: acknowledged means on disk
        }
        finally
        {
            foreach (var temp in temps.Values)
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Removes a blob; false when the hash is not well-formed.</summary>
    /// <remarks>Only for a blob no patch references (a deleted patch, a failed publish, the start-up sweep); the caller holds
    /// the writer lock, so no publish is in between.</remarks>
    public bool Delete(string sha256)
    {
        if (PathOrNull(sha256) is not { } path)
        {
            return false;
        }

        File.Delete(path);
        DirectorySync.Flush(Path.GetDirectoryName(path)!); // acknowledged means gone, as a put's rename is durable
        return true;
    }

    /// <summary>The hashes of every blob on disk; files whose name and folder are not a blob's are skipped, never touched.</summary>
    public IEnumerable<string> EnumerateHashes() =>
        Directory.EnumerateDirectories(_root)
            .SelectMany(Directory.EnumerateFiles)
            .Select(Path.GetFileName)
            .Where(name => IsSha256Hex(name) && PathOrNull(name!) is not null)
            .Select(name => name!);

    /// <summary>Creates, writes, fsyncs and deletes a file in the temp folder, where every put starts: throws
    /// <see cref="IOException"/> (or <see cref="UnauthorizedAccessException"/>) when the store cannot take a blob now.</summary>
    /// <remarks>For the readiness check; a crash before the delete leaves a temp file, which the start-up sweep removes.</remarks>
    public void ProbeWritable()
    {
        var probe = Path.Combine(_temp, $"probe.{Guid.NewGuid():N}");
        var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write);
        try
        {
            using (stream)
            {
                stream.WriteByte(0);
                stream.Flush(flushToDisk: true);
            }
        }
        finally
        {
            File.Delete(probe);
        }
    }

    /// <summary>Removes temp files left by a crash during a put.</summary>
    public int SweepTemporaryFiles()
    {
        var files = Directory.GetFiles(_temp);
        foreach (var file in files)
        {
            File.Delete(file);
        }

        return files.Length;
    }
}
