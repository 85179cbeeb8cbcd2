namespace LivePatch.Core.Mirrors;

/// <summary>The read tree every copy of a repository holds (a directory, an S3 prefix, a bundle): the paths of the
/// repository server's read endpoints, relative to the tree's root, so that any static web server can serve it.</summary>
/// <remarks>Every path is built here from validated parts (a channel name, a lowercase hex build ID, prefix or SHA-256),
/// so no name read from a document reaches a file system or a bucket unchecked.</remarks>
public static class MirrorTree
{
    public const string IndexPath = "v1/index";

    public static string CoveragePath(string channel, string prefix) => $"v1/coverage/{channel}/{prefix}";

    public static string ManifestPath(string channel, string buildId) => $"v1/manifests/{channel}/{buildId}";

    public static string BlobPath(string sha256) => $"v1/blobs/sha256/{sha256}";

    /// <summary>The folders a sync lists when it prunes: bins, manifests and blobs.</summary>
    public const string CoverageFolder = "v1/coverage/";

    /// <summary>See <see cref="CoverageFolder"/>.</summary>
    public const string ManifestsFolder = "v1/manifests/";

    /// <summary>See <see cref="CoverageFolder"/>.</summary>
    public const string BlobsFolder = "v1/blobs/";

    /// <summary>The longest channel name: the server's rule (<c>^[a-z0-9][a-z0-9-]{0,31}$</c>).</summary>
    public const int MaxChannelLength = 32;

    /// <summary>A channel name as the server allows it, and so safe as one path segment (no dot, no slash).</summary>
    /// <remarks>Documents may carry any 256 characters as a channel; only these may become a path.</remarks>
    public static bool IsChannelName(string? channel) =>
        channel is { Length: > 0 and <= MaxChannelLength } && channel[0] != '-'
        && channel.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>Whether <paramref name="path"/> is one of the four file shapes of the tree, built of valid names: what a
    /// directory or a <c>file://</c> repository may answer, and nothing else (no "..", no hidden temp file).</summary>
    public static bool IsTreePath(string path) => KindOf(path) is not null;

    /// <summary>The kind of file <paramref name="path"/> names, or null when it is not a path of the tree (a bundle's entry,
    /// a listed object: names that come from outside).</summary>
    public static MirrorFileKind? KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path == IndexPath)
        {
            return MirrorFileKind.Index;
        }

        var parts = path.Split('/');
        return parts switch
        {
            ["v1", "coverage", var channel, var prefix] when IsChannelName(channel) && IsHex(prefix, 2, 2) => MirrorFileKind.Bin,
            ["v1", "manifests", var channel, var buildId] when IsChannelName(channel) && IsHex(buildId, 16, 128) && buildId.Length % 2 == 0
                => MirrorFileKind.Manifest,
            ["v1", "blobs", "sha256", var sha256] when IsHex(sha256, 64, 64) => MirrorFileKind.Blob,
            _ => null,
        };
    }

    private static bool IsHex(string value, int min, int max) =>
        value.Length >= min && value.Length <= max && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}

/// <summary>Where a mirror reads from: a repository server or static mirror over HTTP, a directory, a bundle.</summary>
/// <remarks>A source is never trusted: everything it gives is verified (signatures for documents, SHA-256 and size for
/// blobs) before a target sees it.</remarks>
public interface IMirrorSource
{
    /// <summary>For messages: the URL, directory or file read from.</summary>
    string Description { get; }

    /// <summary>The bytes at <paramref name="path"/>, or null when the source has no such file; more than
    /// <paramref name="maxBytes"/> is an error (<see cref="MirrorSourceTooLargeException"/>), never read past the limit.</summary>
    Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation);

    /// <summary>A blob's bytes as a stream, or null when absent; the caller reads at most the size its manifest declares
    /// and checks the hash.</summary>
    Task<Stream?> OpenOrNullAsync(string path, CancellationToken cancellation);
}

/// <summary>Where a mirror writes: a directory, an S3-compatible bucket under a prefix.</summary>
/// <remarks>The sync writes blobs, then manifests, then bins, then the index last, each file whole, so that a reader of the
/// tree never finds a document naming something missing.</remarks>
public interface IMirrorTarget
{
    /// <summary>For messages: the directory or <c>s3://bucket/prefix</c> written to.</summary>
    string Description { get; }

    /// <summary>The bytes the target holds at <paramref name="path"/>, or null when it holds none; at most
    /// <paramref name="maxBytes"/> (more is an error).</summary>
    Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation);

    /// <summary>The size of the file at <paramref name="path"/>, or null when there is none.</summary>
    Task<long?> SizeOrNullAsync(string path, CancellationToken cancellation);

    /// <summary>Replaces the file at <paramref name="path"/> with <paramref name="length"/> bytes of
    /// <paramref name="content"/> (already verified) atomically and durably: a reader sees the old file or the new one,
    /// never a part, and the write survives a crash, at the latest from the next <see cref="FlushAsync"/> on (a target may
    /// publish writes in batches).</summary>
    Task WriteAsync(string path, Stream content, long length, CancellationToken cancellation);

    /// <summary>Publishes every write so far and makes it durable. The sync calls it after each phase (blobs, manifests,
    /// bins, the index), so that what a phase names is in place and on disk before the next phase writes it; a target
    /// whose every write is already durable when acknowledged does nothing.</summary>
    Task FlushAsync(CancellationToken cancellation);

    /// <summary>Deletes the file at <paramref name="path"/>; absent is not an error.</summary>
    Task DeleteAsync(string path, CancellationToken cancellation);

    /// <summary>The paths of every file under <paramref name="prefix"/> (a folder of the tree such as <c>v1/blobs/</c>).</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellation);
}

/// <summary>A source offered more than the reader's limit for one file.</summary>
public sealed class MirrorSourceTooLargeException(string path, long maxBytes)
    : IOException($"{path} is larger than {maxBytes} bytes")
{
    public string Path { get; } = path;

    public long MaxBytes { get; } = maxBytes;
}
