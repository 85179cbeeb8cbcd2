using LivePatch.Client.Host;
using LivePatch.Core;

namespace LivePatch.Client.Updates;

/// <summary>The last verified manifest per channel and kernel, with its ETag, so a poll is mostly a 304.</summary>
/// <remarks>A cached copy is always verified again before use: the cache saves bandwidth, never a check. Files are read
/// without following links and written by temp file and rename only.</remarks>
public sealed class ManifestCache(string cacheDirectory, long maxManifestBytes)
{
    /// <summary>An ETag is a short quoted string; anything longer is not one.</summary>
    private const int MaxETagBytes = 1024;

    private readonly string _folder = Path.Combine(cacheDirectory, "manifests");

    public CachedManifest? LoadOrNull(string channel, string buildId)
    {
        var file = FileOf(channel, buildId);
        byte[]? signed;
        try
        {
            signed = PrivateFile.ReadBoundedOrNull(file, (int)Math.Min(maxManifestBytes, int.MaxValue));
        }
        catch (LivePatchFormatException)
        {
            return null; // larger than a manifest may be: not worth keeping, fetched again in full
        }

        if (signed is null)
        {
            return null;
        }

        var etag = System.Text.Encoding.ASCII.GetString(ReadETagOrEmpty(file + ".etag")).Trim();
        return new CachedManifest(signed, etag.Length == 0 || etag.Any(char.IsControl) ? null : etag);
    }

    public void Save(string channel, string buildId, byte[] signed, string? etag)
    {
        PrivateDirectory.Ensure(cacheDirectory, "cacheDirectory");
        PrivateDirectory.Ensure(_folder, "cacheDirectory");
        AtomicFile.Write(FileOf(channel, buildId), signed, AtomicFile.OwnerOnly);
        AtomicFile.Write(FileOf(channel, buildId) + ".etag", System.Text.Encoding.ASCII.GetBytes(etag ?? ""), AtomicFile.OwnerOnly);
    }

    public void Delete(string channel, string buildId)
    {
        File.Delete(FileOf(channel, buildId));
        File.Delete(FileOf(channel, buildId) + ".etag");
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

    // Channel and build ID were validated (configuration, BuildId), so they are safe as a file name.
    private string FileOf(string channel, string buildId) => Path.Combine(_folder, $"{channel}-{buildId}.cms");
}

/// <summary>A manifest kept from an earlier run.</summary>
public sealed record CachedManifest(byte[] Signed, string? ETag);
