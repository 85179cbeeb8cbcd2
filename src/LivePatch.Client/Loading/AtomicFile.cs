namespace LivePatch.Client.Loading;

/// <summary>Writes a file so that a crash leaves either the old or the new content: temp file, fsync, rename.</summary>
internal static class AtomicFile
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/> (mode 0600 for a new file).</summary>
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var temp = TempPathFor(path);
        try
        {
            using (var stream = CreateNew(temp))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Copies <paramref name="source"/> over <paramref name="path"/> the same way.</summary>
    public static async Task CopyAsync(string source, string path, CancellationToken cancellation)
    {
        var temp = TempPathFor(path);
        try
        {
            await using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true))
            await using (var output = CreateNew(temp))
            {
                await input.CopyToAsync(output, cancellation).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>A hidden name in the same directory, so the rename stays on one file system (rename(2) is atomic only there).</summary>
    public static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");

    private static FileStream CreateNew(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }
}
