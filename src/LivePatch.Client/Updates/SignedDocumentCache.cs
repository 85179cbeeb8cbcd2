using LivePatch.Client.Host;
using LivePatch.Core;

namespace LivePatch.Client.Updates;

/// <summary>The last verified manifest per channel and kernel, and the last verified coverage bin per channel and prefix,
/// each with its ETag, so a poll is mostly a 304.</summary>
/// <remarks>A cached copy is always verified again before use: the cache saves bandwidth, never a check. Files are read
/// without following links and written by temp file and rename only.</remarks>
public sealed class SignedDocumentCache(string cacheDirectory, long maxDocumentBytes)
{
    /// <summary>An ETag is a short quoted string; anything longer is not one.</summary>
    private const int MaxETagBytes = 1024;

    public CachedDocument? LoadOrNull(DocumentAddress address)
    {
        var file = FileOf(address);
        byte[]? signed;
        try
        {
            signed = PrivateFile.ReadBoundedOrNull(file, (int)Math.Min(maxDocumentBytes, int.MaxValue));
        }
        catch (LivePatchFormatException)
        {
            return null; // larger than a document may be: not worth keeping, fetched again in full
        }

        if (signed is null)
        {
            return null;
        }

        var etag = System.Text.Encoding.ASCII.GetString(ReadETagOrEmpty(file + ".etag")).Trim();
        return new CachedDocument(signed, etag.Length == 0 || etag.Any(char.IsControl) ? null : etag);
    }

    public void Save(DocumentAddress address, byte[] signed, string? etag)
    {
        PrivateDirectory.Ensure(cacheDirectory, "cacheDirectory");
        PrivateDirectory.Ensure(FolderOf(address.Kind), "cacheDirectory");
        AtomicFile.Write(FileOf(address), signed, AtomicFile.OwnerOnly);
        AtomicFile.Write(FileOf(address) + ".etag", System.Text.Encoding.ASCII.GetBytes(etag ?? ""), AtomicFile.OwnerOnly);
    }

    public void Delete(DocumentAddress address)
    {
        File.Delete(FileOf(address));
        File.Delete(FileOf(address) + ".etag");
    }

    private static byte[] ReadETagOrEmpty(string path)
    {
        try
        {
            return PrivateFile.ReadBoundedOrNull(path, MaxETagBytes) ?? [];
        }
        catch (LivePatchFormatException)
        {
            return [];
        }
    }

    private string FolderOf(DocumentKind kind) =>
        Path.Combine(cacheDirectory, kind == DocumentKind.CoverageBin ? "coverage" : "manifests");

    // Channel, build ID and prefix were validated (configuration, BuildId), so they are safe as a file name.
    private string FileOf(DocumentAddress address) => Path.Combine(FolderOf(address.Kind), $"{address.Channel}-{address.Name}.cms");
}

/// <summary>A signed document kept from an earlier run.</summary>
public sealed record CachedDocument(byte[] Signed, string? ETag);
