using LivePatch.Core.Mirrors;

namespace LivePatch.Server.Upstream;

/// <summary>The read tree in a local directory (a mirror copy, an unpacked bundle): <see cref="MirrorTree"/> paths under a root.</summary>
/// <remarks>Only paths built by <see cref="MirrorTree"/> are asked for; the full path is still checked to stay under the root
/// before the disk is touched. Nothing read is trusted: the import verifies it.</remarks>
public sealed class DirectoryMirrorSource(string root) : IMirrorSource
{
    private readonly string _root = Path.GetFullPath(root);

    public string Description => _root;

    public async Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation)
    {
        await using var file = OpenOrNull(path);
        if (file is null)
        {
            return null;
        }

        if (file.Length > maxBytes)
        {
            throw new MirrorSourceTooLargeException(path, maxBytes);
        }

        return await BoundedRead.ReadAsync(file, path, maxBytes, cancellation);
    }

    public Task<Stream?> OpenOrNullAsync(string path, CancellationToken cancellation) => Task.FromResult<Stream?>(OpenOrNull(path));

    private FileStream? OpenOrNull(string path)
    {
        var full = Path.GetFullPath(Path.Combine(_root, path));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{path}' is outside the mirror tree {_root}.", nameof(path));
        }

        try
        {
            return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}

/// <summary>Reads a stream to its end, never more than a limit (more is <see cref="MirrorSourceTooLargeException"/>).</summary>
internal static class BoundedRead
{
    public static async Task<byte[]> ReadAsync(Stream stream, string path, long maxBytes, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            // One byte past the limit is enough to know the file is too large.
            var wanted = (int)Math.Min(chunk.Length, maxBytes - buffer.Length + 1);
            var read = await stream.ReadAsync(chunk.AsMemory(0, wanted), cancellation);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                throw new MirrorSourceTooLargeException(path, maxBytes);
            }
        }
    }
}
