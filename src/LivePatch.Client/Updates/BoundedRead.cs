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
}
