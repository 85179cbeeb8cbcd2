namespace LivePatch.Core.Mirrors;

/// <summary>A tree on a local file system: resolves a tree path to a file that stays under the root (as BaGetter's file
/// storage checks before it touches the disk), and reads files bounded.</summary>
public sealed class MirrorDirectory
{
    public MirrorDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
    }

    /// <summary>The absolute path of the tree's root folder.</summary>
    public string Root { get; }

    /// <summary>The file of <paramref name="path"/>; only the tree's four shapes (<see cref="MirrorTree.IsTreePath"/>) resolve,
    /// and the result is checked to stay under <see cref="Root"/>.</summary>
    /// <exception cref="ArgumentException">Not a tree path.</exception>
    public string Resolve(string path)
    {
        if (!MirrorTree.IsTreePath(path))
        {
            throw new ArgumentException($"'{path}' is not a file of a repository tree.", nameof(path));
        }

        return Under(path);
    }

    /// <summary>The folder of <paramref name="prefix"/> (such as <c>v1/blobs/</c>), checked to stay under <see cref="Root"/>.</summary>
    public string Under(string prefix)
    {
        var full = Path.GetFullPath(Path.Combine(Root, prefix));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{prefix}' leaves the tree at {Root}.", nameof(prefix));
        }

        return full;
    }

    /// <summary>The bytes of <paramref name="path"/>, or null when there is no such file; more than
    /// <paramref name="maxBytes"/> throws <see cref="MirrorSourceTooLargeException"/> having read at most one byte more.</summary>
    public async Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation)
    {
        var stream = OpenOrNull(path);
        if (stream is null)
        {
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            return await MirrorStreams.ReadBoundedAsync(stream, path, maxBytes, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>The file of <paramref name="path"/> open for reading, or null when there is none.</summary>
    /// <exception cref="IOException">It cannot be opened, or is not a regular file (a FIFO would block a plain open).</exception>
    public FileStream? OpenOrNull(string path) => TreeFileOpener.OpenOrNull(Resolve(path), path);
}
