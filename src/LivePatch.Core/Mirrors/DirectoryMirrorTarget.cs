using System.Runtime.CompilerServices;

namespace LivePatch.Core.Mirrors;

/// <summary>A tree in a local folder as a mirror target, for a web server to serve (samples/nginx-mirror.conf).</summary>
/// <remarks>
/// Each file is written whole: a temp file beside it, fsync, rename, so a reader sees the old file or the new one and a
/// renamed file is never one whose bytes a power cut could lose. The folders' entries (the renames) are made durable once
/// per phase of the sync (<see cref="FlushAsync"/>: an fsync of each folder written in), before the next phase writes
/// what names them: one folder fsync per folder and phase instead of one per file, with the same guarantee for the
/// order on disk. The temp file's name is
/// fixed per file (<c>.NAME.tmp</c>, hidden, never a tree path): one left by a killed sync is overwritten when that file is
/// written again, and no web server configured as the sample serves it. Files are world-readable (0644) and folders
/// 0755 whatever the umask: the tree is public and a web server's workers run as another user.
/// </remarks>
/// <param name="root">The tree's root folder (created as needed).</param>
/// <param name="durable">False skips the fsyncs: still all-or-nothing per file, but a power cut may lose acknowledged
/// writes (and so break the write order on disk). Only for throwaway trees such as tests'; as <see cref="AtomicFile.Write"/>.</param>
public sealed class DirectoryMirrorTarget(string root, bool durable = true) : IMirrorTarget, IMirrorBarrier, IDisposable
{
    /// <summary>rw-r--r--.</summary>
    public const UnixFileMode PublicFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>rwxr-xr-x.</summary>
    public const UnixFileMode PublicFolderMode = PublicFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly MirrorDirectory _tree = new(root);
    private readonly HashSet<string> _unflushed = new(StringComparer.Ordinal);
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

    public void Dispose() => _lock?.Dispose();

    public string Description => _tree.Root;

    public Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation) =>
        _tree.ReadOrNullAsync(path, maxBytes, cancellation);

    public Task<long?> SizeOrNullAsync(string path, CancellationToken cancellation)
    {
        var file = new FileInfo(_tree.Resolve(path));
        return Task.FromResult<long?>(file.Exists ? file.Length : null);
    }

    public async Task WriteAsync(string path, Stream content, long length, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(content);
        var file = _tree.Resolve(path);
        var folder = Path.GetDirectoryName(file)!;
        CreateFolders(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(file)}.tmp");
        File.Delete(temp); // a killed sync's leftover: replaced, never followed (CreateNew is O_EXCL)
        try
        {
            await using (var output = AtomicFile.CreateNew(temp, PublicFileMode))
            {
                await MirrorStreams.CopyExactlyAsync(content, output, length, path, cancellation).ConfigureAwait(false);
                output.Flush(flushToDisk: durable);
            }

            SetMode(temp, PublicFileMode);
            File.Move(temp, file, overwrite: true);
            if (durable)
            {
                _unflushed.Add(folder);
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Fsyncs each folder written in since the last flush.</summary>
    public Task FlushAsync(CancellationToken cancellation)
    {
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
        if (Directory.Exists(folder))
        {
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
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode); // the umask narrows a creation mode; this does not
        }
    }
}
