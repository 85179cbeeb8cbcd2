using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Testing;

/// <summary>Copies a repository's read tree into a directory by hand: what <c>lpatch mirror sync</c> is for, done here so
/// that a test needs no more than a server.</summary>
public static class ReadTreeCopy
{
    /// <summary>Top-down (the index, its bins, the manifests they name, the blobs those name), each file written whole and
    /// renamed into place, as a sync replaces files.</summary>
    public static async Task CopyAsync(HttpClient http, string tree, TrustPolicy policy)
    {
        var index = await SaveAsync(http, tree, "v1/index");
        var bins = new RepositoryIndexVerifier(policy, TimeProvider.System).Verify(index, out var issue)?.Bins
            ?? throw new InvalidOperationException(issue?.ToString());
        foreach (var bin in bins)
        {
            var signed = await SaveAsync(http, tree, $"v1/coverage/{bin.Channel}/{bin.Prefix}");
            foreach (var kernel in new CoverageBinVerifier(policy, TimeProvider.System).Verify(signed).Bin!.Kernels)
            {
                var manifest = await SaveAsync(http, tree, $"v1/manifests/{bin.Channel}/{kernel.BuildId}");
                foreach (var patch in new ManifestVerifier(policy, TimeProvider.System).Verify(manifest).Manifest!.Patches)
                {
                    await SaveAsync(http, tree, $"v1/blobs/sha256/{patch.Sha256}");
                }
            }
        }
    }

    private static async Task<byte[]> SaveAsync(HttpClient http, string tree, string path)
    {
        var bytes = await http.GetByteArrayAsync(path);
        var file = Path.Combine(tree, path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllBytesAsync(file + ".tmp", bytes);
        File.Move(file + ".tmp", file, overwrite: true);
        return bytes;
    }
}
