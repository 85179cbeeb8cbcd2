using System.Security.Cryptography;
using LivePatch.Core.Manifests;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Trust;

namespace LivePatch.Testing;

/// <summary>Looks at a mirror tree in a folder: every file's bytes (to compare before and after), and what a reader would
/// find dangling (a document naming a file that is missing or different).</summary>
public static class MirrorTrees
{
    /// <summary>Every file under <paramref name="root"/> (temp files included, the folder's lock file not: it is no part of the
    /// tree) by relative path.</summary>
    public static SortedDictionary<string, byte[]> Snapshot(string root)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        if (Directory.Exists(root))
        {
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(f) != Core.Mirrors.MirrorFolderLock.FileName))
            {
                files[Path.GetRelativePath(root, file).Replace('\\', '/')] = File.ReadAllBytes(file);
            }
        }

        return files;
    }

    /// <summary>True when both snapshots hold the same paths with the same bytes.</summary>
    public static bool Same(SortedDictionary<string, byte[]> a, SortedDictionary<string, byte[]> b) =>
        a.Keys.SequenceEqual(b.Keys) && a.All(f => f.Value.AsSpan().SequenceEqual(b[f.Key]));

    /// <summary>What a reader starting at the index would find broken: for each document, its path and what it names that is
    /// missing or has other bytes. Empty for a consistent tree (or one without an index). Bins of channels not in
    /// <paramref name="channels"/> (when given) are not followed. <paramref name="exact"/> false is what a host needs while a
    /// sync runs: a bin or manifest may already be newer than its parent lists, as long as it verifies and everything
    /// it names is there (blobs are always checked by hash).</summary>
    public static List<string> Dangling(string root, TrustPolicy policy, TimeProvider time, IReadOnlyCollection<string>? channels = null,
        bool exact = true)
    {
        var problems = new List<string>();
        var indexFile = Path.Combine(root, MirrorTree.IndexPath);
        if (!File.Exists(indexFile))
        {
            return problems;
        }

        var index = new RepositoryIndexVerifier(policy, time).Verify(File.ReadAllBytes(indexFile), out var issue);
        if (index is null)
        {
            return [$"v1/index: {issue}"];
        }

        foreach (var entry in index.Bins.Where(b => channels is null || channels.Contains(b.Channel)))
        {
            var bin = Named(root, MirrorTree.CoveragePath(entry.Channel, entry.Prefix), exact ? entry.Sha256 : null, problems);
            foreach (var kernel in bin is null ? [] : new CoverageBinVerifier(policy, time).Verify(bin).Bin!.Kernels)
            {
                var manifest = Named(root, MirrorTree.ManifestPath(entry.Channel, kernel.BuildId), exact ? kernel.Sha256 : null, problems);
                foreach (var patch in manifest is null ? [] : new ManifestVerifier(policy, time).Verify(manifest).Manifest!.Patches)
                {
                    Named(root, MirrorTree.BlobPath(patch.Sha256), patch.Sha256, problems);
                }
            }
        }

        return problems;
    }

    private static byte[]? Named(string root, string path, string? sha256, List<string> problems)
    {
        var file = Path.Combine(root, path);
        if (!File.Exists(file))
        {
            problems.Add($"{path}: missing");
            return null;
        }

        var bytes = File.ReadAllBytes(file);
        if (sha256 is not null && Convert.ToHexStringLower(SHA256.HashData(bytes)) != sha256)
        {
            problems.Add($"{path}: other bytes");
            return null;
        }

        return bytes;
    }
}
