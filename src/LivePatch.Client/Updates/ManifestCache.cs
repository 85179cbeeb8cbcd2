using LivePatch.Core;
namespace LivePatch.Client.Updates;

/// <summary>The last verified manifest per channel and kernel, with its ETag, so a poll is mostly a 304.</summary>
/// <remarks>A cached copy is always verified again before use: the cache saves bandwidth, never a check.</remarks>
public sealed class ManifestCache(string cacheDirectory)
{
    private readonly string _folder = Path.Combine(cacheDirectory, "manifests");

    public CachedManifest? LoadOrNull(string channel, string buildId)
    {
        var file = FileOf(channel, buildId);
        if (!File.Exists(file))
        {
            return null;
        }

        var etag = File.Exists(file + ".etag") ? File.ReadAllText(file + ".etag").Trim() : null;
        return new CachedManifest(File.ReadAllBytes(file), string.IsNullOrEmpty(etag) ? null : etag);
    }

    public void Save(string channel, string buildId, byte[] signed, string? etag)
    {
        AtomicFile.EnsureOwnerOnlyDirectory(_folder);
        AtomicFile.Write(FileOf(channel, buildId), signed, AtomicFile.OwnerOnly);
        AtomicFile.Write(FileOf(channel, buildId) + ".etag", System.Text.Encoding.ASCII.GetBytes(etag ?? ""), AtomicFile.OwnerOnly);
    }

    public void Delete(string channel, string buildId)
    {
        File.Delete(FileOf(channel, buildId));
        File.Delete(FileOf(channel, buildId) + ".etag");
    }

    // Channel and build ID were validated (configuration, BuildId), so they are safe as a file name.
    private string FileOf(string channel, string buildId) => Path.Combine(_folder, $"{channel}-{buildId}.cms");
}

/// <summary>A manifest kept from an earlier run.</summary>
public sealed record CachedManifest(byte[] Signed, string? ETag);
