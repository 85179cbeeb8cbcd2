namespace LivePatch.Core.Mirrors.Bundles;

/// <summary>Caps on what a bundle may unpack to, so that a crafted bundle (a zstd bomb, a million tiny entries, one
/// endless file) stops at a named limit instead of filling a disk.</summary>
public sealed record BundleLimits
{
    /// <summary>An index, every bin of 16 channels and their manifests and blobs fit many times over.</summary>
    public const int DefaultMaxEntries = 2_000_000;

    public const long DefaultMaxTotalBytes = 64L * 1024 * 1024 * 1024;

    /// <summary>Entries of any kind.</summary>
    public int MaxEntries { get; init; } = DefaultMaxEntries;

    /// <summary>All unpacked bytes together.</summary>
    public long MaxTotalBytes { get; init; } = DefaultMaxTotalBytes;

    /// <summary>One index, bin or manifest: the signed-document cap hosts apply.</summary>
    public long MaxDocumentBytes { get; init; } = Manifests.ManifestLimits.MaxSignedManifestSize;

    /// <summary>One module (the server's and the host's default <c>maxModuleBytes</c>).</summary>
    public long MaxBlobBytes { get; init; } = 64L * 1024 * 1024;

    public long MaxBytesOf(MirrorFileKind kind) => kind == MirrorFileKind.Blob ? MaxBlobBytes : MaxDocumentBytes;
}
