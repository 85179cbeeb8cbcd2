using System.Runtime.CompilerServices;

namespace LivePatch.Core.Mirrors;

/// <summary>A tree in a local folder as a mirror target, for a web server to serve (samples/nginx-mirror.conf).</summary>
/// <remarks>
/// Each file is written whole into a temp file beside it, and published (renamed into place) only at the end of its phase
/// (<see cref="FlushAsync"/>), so a reader sees the old file or the new one, and a phase that fails half way publishes
/// nothing. Durability costs one flush of the file system per phase (syncfs: every temp file's bytes reach the disk before
/// any of them is renamed) and one fsync per folder written in (the renames), instead of an fsync per file: a full sync
/// writes thousands of small files, and one fsync each made the disk's latency most of its time (bench/mirror.sh). The
/// sync flushes each phase before the next writes what names it, so the order on disk holds across a power cut. The temp
/// file's name is fixed per file (<c>.NAME.tmp</c>, hidden, never a tree path): one left by a killed sync is overwritten
/// when that file is written again, and no web server configured as the sample serves it. Files are world-readable (0644)
/// and folders 0755 whatever the umask: the tree is public and a web server's workers run as another user.
/// </remarks>
/// <param name="root">The tree's root folder (created as needed).</param>
/// <param name="durable">False skips the flushes: still all-or-nothing per file and published per phase, but a power cut may
/// lose published files (and so break the write order on disk). Only for throwaway trees such as tests'; as
/// <see cref="AtomicFile.Write"/>.</param>
public sealed class DirectoryMirrorTarget(string root, bool durable = true) : IMirrorTarget, IDisposable
{
    /// <summary>rw-r--r--.</summary>
    public const UnixFileMode PublicFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>rwxr-xr-x.</summary>
    public const UnixFileMode PublicFolderMode = PublicFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly MirrorDirectory _tree = new(root);
    private readonly HashSet<string> _unflushed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _unpublished = new(StringComparer.Ordinal); // file -> its temp file
    private readonly HashSet<string> _folders = new(StringComparer.Ordinal); // known to exist: no stat per file
    private MirrorFolderLock? _lock;

    /// <summary>A durable target that holds the folder's <see cref="MirrorFolderLock"/> until disposed: what lpatch's
    /// sync and import write through, so that two of them never write one folder at once.</summary>
    /// <exception cref="LivePatchFormatException"><c>mirror-target-busy</c>: another process holds the lock.</exception>
    public static DirectoryMirrorTarget Locked(string root)
    {
        var target = new DirectoryMirrorTarget(root);
        target._lock = MirrorFolderLock.Acquire(target.Description);
        return target;
    }

    /// <summary>Removes the temp files of a phase that was never flushed (a failed sync publishes nothing of it), and
    /// releases the folder lock.</summary>
    public void Dispose()
    {
        foreach (var temp in _unpublished.Values)
        {
            File.Delete(temp);
        }

        _unpublished.Clear();
        _lock?.Dispose();
    }

    public string Description => _tree.Root;

    public Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation) =>
        _tree.ReadOrNullAsync(path, maxBytes, cancellation);

    public Task<long?> SizeOrNullAsync(string path, CancellationToken cancellation)
    {
        var file = new FileInfo(_tree.Resolve(path));
        return Task.FromResult<long?>(file.Exists ? file.Length : null);
    }

    /// <summary>Writes the file's temp file; it is published (renamed into place) by the next <see cref="FlushAsync"/>.</summary>
    public async Task WriteAsync(string path, Stream content, long length, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(content);
        var file = _tree.Resolve(path);
        var folder = Path.GetDirectoryName(file)!;
        CreateFolders(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(file)}.tmp");
        try
        {
            await using (var output = CreateTemp(temp))
            {
                // A verified document waits in memory: copied without a hop through the thread pool per write.
                if (content is MemoryStream)
                {
                    MirrorStreams.CopyExactly(content, output, length, path, cancellation);
                }
                else
                {
                    await MirrorStreams.CopyExactlyAsync(content, output, length, path, cancellation).ConfigureAwait(false);
                }

                SetMode(output.SafeFileHandle, PublicFileMode);
            }
        }
        catch
        {
            File.Delete(temp);
            lock (_unpublished)
            {
                _unpublished.Remove(file);
            }

            throw;
        }

        lock (_unpublished)
        {
            _unpublished[file] = temp;
        }
    }

    /// <summary>Creates the temp file (O_EXCL: never through a link). A name that exists is a killed sync's leftover, or
    /// this file written twice in a phase: it is removed (unlink, which does not follow a link) and created once more.
    /// Trying first spares an unlink per file of a full sync, where there is almost never a leftover.</summary>
    private static FileStream CreateTemp(string temp)
    {
        try
        {
            return AtomicFile.CreateNewUnbuffered(temp, PublicFileMode);
        }
        catch (IOException)
        {
            File.Delete(temp);
            return AtomicFile.CreateNewUnbuffered(temp, PublicFileMode);
        }
    }

    /// <summary>Publishes every file written since the last flush: their bytes made durable (one syncfs), then each renamed
    /// into place, then each folder written in fsynced (the renames).</summary>
    public Task FlushAsync(CancellationToken cancellation)
    {
        KeyValuePair<string, string>[] written;
        lock (_unpublished)
        {
            written = [.. _unpublished];
        }

        if (durable && written.Length > 0)
        {
            DirectorySync.FlushFileSystem(_tree.Root);
        }

        foreach (var (file, temp) in written)
        {
            cancellation.ThrowIfCancellationRequested();
            File.Move(temp, file, overwrite: true);
            lock (_unpublished)
            {
                _unpublished.Remove(file);
            }

            if (durable)
            {
                _unflushed.Add(Path.GetDirectoryName(file)!);
            }
        }

        foreach (var folder in _unflushed)
        {
            cancellation.ThrowIfCancellationRequested();
            DirectorySync.Flush(folder);
        }

        _unflushed.Clear();
        return Task.CompletedTask;
    }

    /// <summary>Deletes without a folder fsync: a deletion a crash undoes leaves an unreferenced file, which the next prune
    /// deletes again.</summary>
    public Task DeleteAsync(string path, CancellationToken cancellation)
    {
        File.Delete(_tree.Resolve(path));
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var folder = _tree.Under(prefix);
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            cancellation.ThrowIfCancellationRequested();
            var path = Path.GetRelativePath(_tree.Root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (MirrorTree.IsTreePath(path)) // temp files and strangers are not the tree's
            {
                yield return path;
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>Creates the missing folders of <paramref name="folder"/> up from the root, each 0755 and made durable in its parent.</summary>
    private void CreateFolders(string folder)
    {
        lock (_folders)
        {
            if (_folders.Contains(folder))
            {
                return;
            }
        }

        if (Directory.Exists(folder))
        {
            lock (_folders)
            {
                _folders.Add(folder);
            }

            return;
        }

        var parent = Path.GetDirectoryName(folder)!;
        if (!string.Equals(folder, _tree.Root, StringComparison.Ordinal))
        {
            CreateFolders(parent);
        }

        Directory.CreateDirectory(folder);
        SetMode(folder, PublicFolderMode);
        if (durable)
        {
            DirectorySync.Flush(parent);
        }

        lock (_folders)
        {
            _folders.Add(folder);
        }
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode); // the umask narrows a creation mode; this does not
        }
    }

    /// <summary>The same through the open file (fchmod): no second lookup of its path.</summary>
    private static void SetMode(Microsoft.Win32.SafeHandles.SafeFileHandle file, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, mode);
        }
    }
}
