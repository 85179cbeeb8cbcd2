using LivePatch.Core.Mirrors;

namespace LivePatch.Mirror.S3;

/// <summary>The Content-Type and Cache-Control an object of the tree is stored with, so that a bucket (and a CDN in front
/// of it) answers with the headers the repository server sends for the same path (the server's <c>ReadHeaders</c>).</summary>
public static class MirrorObjectHeaders
{
    public const string SignedDocumentContentType = "application/pkcs7-mime; smime-type=signed-data";

    public const string BlobContentType = "application/octet-stream";

    /// <summary>Manifests, coverage bins and the index: a minute of caching, then revalidation, as the server.</summary>
    public const string SignedDocumentCacheControl = "public, max-age=60, must-revalidate";

    /// <summary>Blobs are named by their SHA-256: they never change.</summary>
    public const string BlobCacheControl = "public, max-age=31536000, immutable";

    /// <summary>The folder of <see cref="MirrorTree.BlobPath"/>.</summary>
    private const string BlobFolder = "v1/blobs/";

    /// <summary>The headers for <paramref name="treePath"/>: blob headers under <c>v1/blobs/</c>, a signed document's
    /// everywhere else (the index, coverage bins and manifests are the tree's only other files).</summary>
    public static (string ContentType, string CacheControl) For(string treePath) =>
        treePath.StartsWith(BlobFolder, StringComparison.Ordinal)
            ? (BlobContentType, BlobCacheControl)
            : (SignedDocumentContentType, SignedDocumentCacheControl);
}
