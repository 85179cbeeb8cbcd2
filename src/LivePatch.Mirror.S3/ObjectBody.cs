namespace LivePatch.Mirror.S3;

/// <summary>The body of one PUT: exactly the bytes a write was given, in a stream the SDK can rewind to retry.</summary>
internal static class ObjectBody
{
    /// <summary><paramref name="content"/> itself when it is seekable and holds exactly <paramref name="length"/> bytes
    /// from its position; otherwise a copy of exactly <paramref name="length"/> bytes (the tree's files are documents and
    /// livepatch modules, small enough to hold), so that a retry after a dropped connection can send the body again and
    /// nothing past the declared length is ever sent.</summary>
    public static async Task<Stream> OfAsync(Stream content, long length, CancellationToken cancellation)
    {
        if (content.CanSeek && content.Length - content.Position == length)
        {
            return content;
        }

        if (length > Array.MaxLength)
        {
            throw new IOException($"an object of {length} bytes is larger than one write can hold");
        }

        var bytes = new byte[length];
        await content.ReadExactlyAsync(bytes, cancellation);
        return new MemoryStream(bytes, writable: false);
    }
}
