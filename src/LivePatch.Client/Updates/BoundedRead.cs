namespace LivePatch.Client.Updates;

/// <summary>Reads an HTTP body into memory, never more than a limit: an endless or oversized answer is cut off, not buffered.</summary>
internal static class BoundedRead
{
    /// <summary>The body, or null when it is longer than <paramref name="limit"/> (declared or actual).</summary>
    public static async Task<byte[]?> ReadAsync(HttpResponseMessage response, long limit, TimeSpan timeout, CancellationToken cancellation)
    {
        if (response.Content.Headers.ContentLength > limit)
        {
            return null;
        }

        // Time-outs of the HTTP pipeline end when the headers arrive; a repository that trickles the body is cut off here.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
        if (response.Content.Headers.ContentLength is { } declared && declared <= Array.MaxLength)
        {
            return await ReadDeclaredAsync(stream, (int)declared, deadline.Token);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, deadline.Token)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>A body of a declared length (within the limit): read into one array of that size, without growing a buffer
    /// and copying it (a mirror sync reads thousands of small documents). The HTTP stack refuses a body that differs from
    /// its Content-Length; what a shorter one delivered is returned as it is, for the caller's size check.</summary>
    private static async Task<byte[]> ReadDeclaredAsync(Stream stream, int length, CancellationToken cancellation)
    {
        var body = new byte[length];
        var filled = 0;
        int read;
        while (filled < length && (read = await stream.ReadAsync(body.AsMemory(filled), cancellation)) > 0)
        {
            filled += read;
        }

        return filled == length ? body : body[..filled];
    }
}
