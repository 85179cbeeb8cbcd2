using Microsoft.Extensions.Primitives;

namespace LivePatch.Server.ReadPath;

/// <summary>The HTTP rules every answer of the read path follows, whichever code writes it (the middleware or the
/// endpoints): content types, cache lifetimes, and If-None-Match against the strong ETag.</summary>
public static class ReadHeaders
{
    // The values are the tree's (Core's TreeHeaders), so a bucket, nginx and this server answer alike.
    public const string CmsContentType = Core.Mirrors.TreeHeaders.SignedDocumentContentType;

    public const string BlobContentType = Core.Mirrors.TreeHeaders.BlobContentType;

    /// <summary>See <see cref="Core.Mirrors.TreeHeaders.SignedDocumentCacheControl"/>.</summary>
    public const string SignedDocumentCacheControl = Core.Mirrors.TreeHeaders.SignedDocumentCacheControl;

    /// <summary>See <see cref="Core.Mirrors.TreeHeaders.BlobCacheControl"/>.</summary>
    public const string BlobCacheControl = Core.Mirrors.TreeHeaders.BlobCacheControl;

    /// <summary>RFC 9110 §13.1.2: a list of entity tags or <c>*</c>; weak comparison is allowed for If-None-Match.</summary>
    public static bool Matches(StringValues ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Count == 0)
        {
            return false;
        }

        if (ifNoneMatch.Count == 1 && string.Equals(ifNoneMatch[0], etag, StringComparison.Ordinal))
        {
            return true; // what every lpatch poll sends: no need to parse a list
        }

        foreach (var value in ifNoneMatch)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var tag in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var bare = tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
                if (bare == "*" || bare == etag)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
