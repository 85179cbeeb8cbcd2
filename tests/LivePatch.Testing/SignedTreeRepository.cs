using System.Security.Cryptography;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Trust;

namespace LivePatch.Testing;

/// <summary>A repository simulator for mirror tests: keeps a read tree in a folder as the server would (every bin of every
/// channel signed, manifests per kernel, blobs by SHA-256, the index last), signed by <see cref="TestPki"/> at
/// <see cref="TestPki.Now"/>; each publish re-signs only the manifests, bins and index it changes, with rising versions.</summary>
public sealed class SignedTreeRepository
{
    private readonly Dictionary<(string Channel, string BuildId), List<ManifestPatch>> _kernels = [];
    private readonly Dictionary<(string Channel, string Prefix), IndexBin> _bins = [];
    private readonly string[] _channels;

    public SignedTreeRepository(string root, string repository = "test-repo", params string[] channels)
    {
        Root = root;
        Repository = repository;
        _channels = channels.Length == 0 ? ["stable"] : channels;
        foreach (var channel in _channels)
        {
            for (var prefix = 0; prefix < 256; prefix++)
            {
                SignBin(channel, prefix.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        SignIndex();
    }

    public string Root { get; }

    public string Repository { get; }

    /// <summary>The version the last signed document got.</summary>
    public ulong Version { get; private set; }

    /// <summary>Publishes a module (random bytes unless given) for <paramref name="buildIds"/> in <paramref name="channel"/>;
    /// returns the blob's SHA-256.</summary>
    public string Publish(string channel, IEnumerable<string> buildIds, byte[]? module = null)
    {
        module ??= RandomNumberGenerator.GetBytes(4096);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(module));
        Write(MirrorTree.BlobPath(sha256), module);
        var ids = buildIds.ToList();
        foreach (var buildId in ids)
        {
            var patches = _kernels.TryGetValue((channel, buildId), out var list) ? list : _kernels[(channel, buildId)] = [];
            patches.Add(new ManifestPatch
            {
                Name = "lp_test", Level = patches.Count + 1, Sha256 = sha256, Size = module.Length, Signer = "ab:cd:ef",
                Replace = true, Published = TestPki.Now,
            });
            SignManifest(channel, buildId, patches);
        }

        foreach (var prefix in ids.Select(CoverageBin.PrefixOf).Distinct())
        {
            SignBin(channel, prefix);
        }

        SignIndex();
        return sha256;
    }

    /// <summary>Signs the index again (a new version naming the same bins), as the server's re-signer does before expiry.</summary>
    public void SignIndex()
    {
        var index = new RepositoryIndex
        {
            Schema = RepositoryIndex.CurrentSchema, Repository = Repository, Version = ++Version, Issued = TestPki.Now,
            Expires = TestPki.Now.AddDays(30), Bins = [.. _bins.Values.OrderBy(b => b.Channel, StringComparer.Ordinal).ThenBy(b => b.Prefix, StringComparer.Ordinal)],
        };
        Write(MirrorTree.IndexPath, Sign(ManifestSerializer.Serialize(index), LivePatchOids.RepositoryIndexContentType));
    }

    private void SignManifest(string channel, string buildId, List<ManifestPatch> patches) =>
        Write(MirrorTree.ManifestPath(channel, buildId), Sign(ManifestSerializer.Serialize(new Manifest
        {
            Schema = Manifest.CurrentSchema, Repository = Repository, Channel = channel, BuildId = buildId, KernelRelease = "6.1.0-test",
            Version = ++Version, Issued = TestPki.Now, Expires = TestPki.Now.AddDays(30), Patches = [.. patches],
        }), LivePatchOids.ManifestContentType));

    private void SignBin(string channel, string prefix)
    {
        var kernels = _kernels.Where(k => k.Key.Channel == channel && k.Key.BuildId.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(k => k.Key.BuildId, StringComparer.Ordinal)
            .Select(k => Covered(channel, k.Key.BuildId))
            .ToList();
        var bin = new CoverageBin
        {
            Schema = CoverageBin.CurrentSchema, Repository = Repository, Channel = channel, Prefix = prefix, Version = ++Version,
            Issued = TestPki.Now, Expires = TestPki.Now.AddDays(30), Kernels = kernels,
        };
        var bytes = Sign(CoverageBinSerializer.Serialize(bin), LivePatchOids.CoverageBinContentType);
        Write(MirrorTree.CoveragePath(channel, prefix), bytes);
        _bins[(channel, prefix)] = new IndexBin { Channel = channel, Prefix = prefix, Version = bin.Version, Sha256 = Sha256Hex(bytes), Size = bytes.Length };
    }

    private CoveredKernel Covered(string channel, string buildId)
    {
        var signed = File.ReadAllBytes(Path.Combine(Root, MirrorTree.ManifestPath(channel, buildId)));
        return new CoveredKernel { BuildId = buildId, Version = ManifestVersion(signed), Sha256 = Sha256Hex(signed), Size = signed.Length };
    }

    private static ulong ManifestVersion(byte[] signed) =>
        new ManifestVerifier(TestPki.Instance.Policy(), TestPki.Clock()).Verify(signed).Manifest!.Version;

    private static byte[] Sign(byte[] content, string contentType) =>
        SignedContent.Sign(content, contentType, [TestPki.Instance.ManifestSigner], TestPki.Now);

    private void Write(string path, byte[] bytes)
    {
        var file = Path.Combine(Root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, bytes);
    }

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
