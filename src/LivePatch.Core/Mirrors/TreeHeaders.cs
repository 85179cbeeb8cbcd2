namespace LivePatch.Core.Mirrors;

/// <summary>The Content-Type and Cache-Control of each kind of file of the read tree: what the repository server answers
/// (its <c>ReadHeaders</c>), what an S3 mirror stores each object with, and what samples/nginx-mirror.conf sets, so
/// hosts and caches treat every copy as they treat the server.</summary>
public static class TreeHeaders
{
    /// <summary>Manifests, coverage bins and the index: CMS SignedData (RFC 8551 §3.2).</summary>
    public const string SignedDocumentContentType = "application/pkcs7-mime; smime-type=signed-data";

    public const string BlobContentType = "application/octet-stream";

    /// <summary>Hosts poll hourly; a minute of caching lets a CDN absorb herds while a new patch still spreads fast, and
    /// revalidation is a 304.</summary>
    public const string SignedDocumentCacheControl = "public, max-age=60, must-revalidate";

    /// <summary>Blobs are named by their SHA-256: they never change.</summary>
    public const string BlobCacheControl = "public, max-age=31536000, immutable";

    /// <summary>The headers for <paramref name="treePath"/>: blob headers under <c>v1/blobs/</c>, a signed document's
    /// everywhere else (the index, coverage bins and manifests are the tree's only other files).</summary>
    public static (string ContentType, string CacheControl) For(string treePath) =>
        treePath.StartsWith(MirrorTree.BlobsFolder, StringComparison.Ordinal)
            ? (BlobContentType, BlobCacheControl)
            : (SignedDocumentContentType, SignedDocumentCacheControl);
}
