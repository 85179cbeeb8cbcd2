using System.Buffers;

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
    /// <remarks>The buffer is pooled and no larger than the file: a full sync copies thousands of small documents, and a new
    /// 80 KB buffer for each was most of the garbage it made.</remarks>
    public static async Task CopyExactlyAsync(Stream content, Stream output, long length, string path, CancellationToken cancellation)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferFor(length));
        try
        {
            for (var left = length; left > 0;)
            {
                var read = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellation).ConfigureAwait(false);
                await output.WriteAsync(buffer.AsMemory(0, Counted(read, left, length, path)), cancellation).ConfigureAwait(false);
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary><see cref="CopyExactlyAsync"/> without awaiting: for content already in memory going to a local file, where
    /// each await of a write is a hop through the thread pool that costs more than the write.</summary>
    public static void CopyExactly(Stream content, Stream output, long length, string path, CancellationToken cancellation)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferFor(length));
        try
        {
            for (var left = length; left > 0;)
            {
                cancellation.ThrowIfCancellationRequested();
                var read = content.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                output.Write(buffer, 0, Counted(read, left, length, path));
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int BufferFor(long length) => (int)Math.Clamp(length, 1, 81920);

    /// <summary><paramref name="read"/>, unless the content ended (0) before its length: then an <see cref="EndOfStreamException"/>.</summary>
    private static int Counted(int read, long left, long length, string path) =>
        read > 0 ? read : throw new EndOfStreamException($"{path}: the content ended {left} bytes before its length of {length}.");
}
