namespace LivePatch.Core;

/// <summary>Writes files so that a crash leaves either the old or the new content: temp file in the same folder, fsync,
/// rename, fsync of the folder (so that the rename, too, survives a power cut).</summary>
/// <remarks>rename(2) replaces atomically only within one file system, hence the temp file beside the target.</remarks>
public static class AtomicFile
{
    /// <summary>rw------- : state, keys and anything the host trusts.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/>; a new file gets <paramref name="mode"/> (null: the umask default).</summary>
    /// <param name="path">The file to replace.</param>
    /// <param name="content">Its new content.</param>
    /// <param name="mode">Unix mode of the new file.</param>
    /// <param name="durable">False skips the fsync: still all-or-nothing, but a crash may bring back the previous content.
    /// Only for data whose loss costs nothing (a status line), never for trust decisions.</param>
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null, bool durable = true)
    {
        var temp = TempPathFor(path);
        try
        {
            using (var stream = CreateNew(temp, mode, FileOptions.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: durable);
            }

            File.Move(temp, path, overwrite: true);
            if (durable)
            {
                DirectorySync.Flush(Path.GetDirectoryName(temp)!);
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Copies <paramref name="source"/> over <paramref name="path"/> the same way.</summary>
    public static async Task CopyAsync(string source, string path, UnixFileMode? mode, CancellationToken cancellation)
    {
        var temp = TempPathFor(path);
        try
        {
            await using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true))
            await using (var output = CreateNew(temp, mode, FileOptions.Asynchronous))
            {
                await input.CopyToAsync(output, cancellation).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            DirectorySync.Flush(Path.GetDirectoryName(temp)!);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Creates a folder readable by its owner only (rwx------) when it does not exist yet, durably.</summary>
    public static void EnsureOwnerOnlyDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }

        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(directory))!);
    }

    /// <summary>A hidden name beside <paramref name="path"/>, unique per call.</summary>
    public static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");

    /// <summary>Creates a new file (O_CREAT|O_EXCL: never an existing file, never through a link) for writing.</summary>
    public static FileStream CreateNew(string path, UnixFileMode? mode) => CreateNew(path, mode, FileOptions.None);

    /// <summary><see cref="CreateNew(string, UnixFileMode?)"/> without the stream's own buffer: for a caller that writes in
    /// large pieces (or once), which would only be copied through it.</summary>
    public static FileStream CreateNewUnbuffered(string path, UnixFileMode? mode) => CreateNew(path, mode, FileOptions.None, bufferSize: 0);

    private static FileStream CreateNew(string path, UnixFileMode? mode, FileOptions fileOptions, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = fileOptions, BufferSize = bufferSize };
        if (mode is { } unixMode && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = unixMode;
        }

        return new FileStream(path, options);
    }
}
