using Microsoft.Extensions.Primitives;

namespace LivePatch.Server.ReadPath;

/// <summary>The HTTP rules every answer of the read path follows, whichever code writes it (the middleware or the
/// endpoints): content types, cache lifetimes, and If-None-Match against the strong ETag.</summary>
public static class ReadHeaders
{
    public const string CmsContentType = "application/pkcs7-mime; smime-type=signed-data";

    public const string BlobContentType = "application/octet-stream";

    /// <summary>Manifests, coverage bins and the index: hosts poll hourly; a minute of caching lets a CDN absorb herds while a
    /// new patch still spreads fast, and revalidation is a 304.</summary>
    public const string SignedDocumentCacheControl = "public, max-age=60, must-revalidate";

    /// <summary>Blobs are named by their SHA-256: they never change.</summary>
    public const string BlobCacheControl = "public, max-age=31536000, immutable";

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
