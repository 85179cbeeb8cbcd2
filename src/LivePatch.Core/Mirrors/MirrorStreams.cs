namespace LivePatch.Core.Mirrors;

/// <summary>Reads and copies the streams of a mirror's files by their known lengths, never past a limit.</summary>
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

    /// <summary>Copies exactly <paramref name="length"/> bytes of <paramref name="content"/> to <paramref name="output"/>;
    /// a content that ends sooner is an <see cref="EndOfStreamException"/> naming <paramref name="path"/>.</summary>
    public static async Task CopyExactlyAsync(Stream content, Stream output, long length, string path, CancellationToken cancellation)
    {
        var buffer = new byte[81920];
        var left = length;
        while (left > 0)
        {
            var read = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellation).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException($"{path}: the content ended {left} bytes before its length of {length}.");
            }

            await output.WriteAsync(buffer.AsMemory(0, read), cancellation).ConfigureAwait(false);
            left -= read;
        }
    }
}
