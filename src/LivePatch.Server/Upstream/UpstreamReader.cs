using System.Security.Cryptography;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Repository;
using LivePatch.Core.Trust;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Upstream;

/// <summary>The verifying half of an import: reads the vendor's tree top-down from a source, as a mirror sync does, and checks
/// every document against the vendor roots and the document that names it. Writes nothing.</summary>
/// <remarks>Order (docs/api.md, "Site repositories"): the index (signature, freshness, repository, not older than the last
/// import); each changed coverage bin of a followed channel (SHA-256 and size from the index, signature, identity); each
/// manifest a bin lists with a version above the one last imported (SHA-256 and size from the bin, signature, identity,
/// freshness); then the modules of patches the site lacks (<see cref="UpstreamModules"/>). The first refusal ends the run.</remarks>
internal sealed class UpstreamReader(IMirrorSource source, TrustPolicy trust, UpstreamOptions upstream, IReadOnlyDictionary<string, string> channels,
    RepositoryDatabase db, TimeProvider time)
{
    /// <summary>An index lists at most 65,536 bins of about 130 bytes each, signed: 16 MiB is far above any honest one.</summary>
    public const long MaxIndexBytes = ManifestLimits.MaxSignedManifestSize;

    // One verifier of each kind per import: after the first document, the vendor's signer is known and each further
    // document costs its signature check rather than a full CMS decode (SignedContentVerifier).
    private readonly CoverageBinVerifier _bins = new(trust, time);
    private readonly ManifestVerifier _manifests = new(trust, time);

    public async Task<(RepositoryIndex Index, List<VerifiedManifest> Manifests, List<UpstreamBinEntry> Bins)> ReadAsync(CancellationToken cancellation)
    {
        var index = await ReadIndexAsync(cancellation);
        var previous = db.Upstreams.FindById(index.Repository);
        var seen = (previous?.Bins ?? []).ToDictionary(b => b.Bin, b => b.Sha256, StringComparer.Ordinal);
        var manifests = new List<VerifiedManifest>();
        var bins = new List<UpstreamBinEntry>();
        foreach (var entry in index.Bins.Where(b => channels.ContainsKey(b.Channel)))
        {
            var key = BinDocument.KeyOf(entry.Channel, entry.Prefix);
            bins.Add(new UpstreamBinEntry { Bin = key, Sha256 = entry.Sha256 });
            if (seen.GetValueOrDefault(key) != entry.Sha256)
            {
                var bin = await ReadBinAsync(index.Repository, entry, cancellation);
                manifests.AddRange(await ReadManifestsAsync(index.Repository, bin, cancellation));
            }
        }

        return (index, manifests, bins);
    }

    private async Task<RepositoryIndex> ReadIndexAsync(CancellationToken cancellation)
    {
        var bytes = await FetchAsync(MirrorTree.IndexPath, MaxIndexBytes, null, cancellation);
        var index = new RepositoryIndexVerifier(trust, time).Verify(bytes, out var issue) ?? throw Refused(issue!, MirrorTree.IndexPath);
        if (upstream.Repository is { } expected && !string.Equals(index.Repository, expected, StringComparison.Ordinal))
        {
            throw new UpstreamRefusal(new(ProblemCodes.UpstreamWrongRepository,
                $"The upstream index is of repository '{index.Repository}', but LivePatch:Upstream:Repository is '{expected}'."));
        }

        // TUF's rollback check for the top document: an older index would hide revocations and fixes signed since.
        if (db.Upstreams.FindById(index.Repository) is { } previous && (long)index.Version < previous.IndexVersion)
        {
            throw new UpstreamRefusal(new(ProblemCodes.UpstreamRollback,
                $"The upstream index of '{index.Repository}' is version {index.Version}, older than version {previous.IndexVersion} imported before."));
        }

        return index;
    }

    private async Task<CoverageBin> ReadBinAsync(string repository, IndexBin entry, CancellationToken cancellation)
    {
        var path = MirrorTree.CoveragePath(entry.Channel, entry.Prefix);
        var bytes = await FetchAsync(path, entry.Size, entry.Sha256, cancellation);
        var verified = _bins.Verify(bytes);
        var bin = verified.Bin ?? throw Refused(verified.Issue!, path);
        if (CoverageExpectations.CheckMatches(bin, repository, entry.Channel, entry.Prefix) is { } mismatch)
        {
            throw Refused(mismatch, path);
        }

        return bin;
    }

    private async Task<List<VerifiedManifest>> ReadManifestsAsync(string repository, CoverageBin bin, CancellationToken cancellation)
    {
        var manifests = new List<VerifiedManifest>();
        foreach (var kernel in bin.Kernels)
        {
            var imported = db.UpstreamKernels.FindById(UpstreamKernelDocument.KeyOf(repository, bin.Channel, kernel.BuildId));
            if (imported is not null && (long)kernel.Version < imported.Version)
            {
                throw new UpstreamRefusal(new(ProblemCodes.UpstreamRollback,
                    $"The upstream bin {bin.Channel}/{bin.Prefix} names version {kernel.Version} of kernel {kernel.BuildId}'s manifest, older than version {imported.Version} imported before."));
            }

            if (imported is not null && (long)kernel.Version == imported.Version)
            {
                continue; // imported already
            }

            manifests.Add(new VerifiedManifest(channels[bin.Channel], await ReadManifestAsync(repository, bin.Channel, kernel, cancellation)));
        }

        return manifests;
    }

    private async Task<Manifest> ReadManifestAsync(string repository, string channel, CoveredKernel kernel, CancellationToken cancellation)
    {
        var path = MirrorTree.ManifestPath(channel, kernel.BuildId);
        var bytes = await FetchAsync(path, kernel.Size, kernel.Sha256, cancellation);
        var verified = _manifests.Verify(bytes);
        var manifest = verified.Manifest ?? throw Refused(verified.Issue!, path);
        if (ManifestExpectations.CheckMatches(manifest, repository, channel, kernel.BuildId) is { } mismatch)
        {
            throw Refused(mismatch, path);
        }

        return manifest;
    }

    /// <summary>The file at <paramref name="path"/>, at most <paramref name="size"/> bytes, and (when <paramref name="sha256"/> is
    /// given) exactly that size and hash, as the signed document naming it says.</summary>
    private async Task<byte[]> FetchAsync(string path, long size, string? sha256, CancellationToken cancellation)
    {
        byte[]? bytes;
        try
        {
            bytes = await source.ReadOrNullAsync(path, size, cancellation);
        }
        catch (MirrorSourceTooLargeException)
        {
            throw Mismatch(path, $"is larger than the {size} bytes its signed entry names");
        }

        if (bytes is null)
        {
            throw new UpstreamRefusal(new(ProblemCodes.UpstreamFileMissing, $"{source.Description} has no {path}."));
        }

        if (sha256 is not null && (bytes.Length != size || Convert.ToHexStringLower(SHA256.HashData(bytes)) != sha256))
        {
            throw Mismatch(path, $"does not have the size ({size}) and SHA-256 ({sha256}) its signed entry names");
        }

        return bytes;
    }

    internal static UpstreamRefusal Mismatch(string path, string what) =>
        new(new(ProblemCodes.UpstreamDigestMismatch, $"Upstream {path} {what}: refused, nothing imported."));

    internal static UpstreamRefusal Refused(VerificationIssue issue, string path) =>
        new(new(issue.Error, $"Upstream {path} refused: {issue.Message}"));
}
