namespace LivePatch.Core.Mirrors;

/// <summary>Reads a stream of a mirror source to its end, never more than a limit.</summary>
public static class MirrorStreams
{
    /// <summary>The bytes of <paramref name="stream"/>; more than <paramref name="maxBytes"/> throws
    /// <see cref="MirrorSourceTooLargeException"/> having read at most one chunk more.</summary>
    public static async Task<byte[]> ReadBoundedAsync(Stream stream, string path, long maxBytes, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, maxBytes - buffer.Length + 1)), cancellation)
            .ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new MirrorSourceTooLargeException(path, maxBytes);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
