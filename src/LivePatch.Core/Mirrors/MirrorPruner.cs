using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Mirrors;

/// <summary><c>--prune</c>, after the new index is written: deletes bins the copied channels of the index do not list,
/// manifests no listed bin names, and blobs no remaining manifest names.</summary>
/// <remarks>
/// Fails closed: what a bin or manifest names is learnt only from documents that verify (those of this run, or the target's
/// copies checked against the hashes their verified parents list); one that does not stops the prune before anything is
/// deleted, because deleting from a wrong list could remove a blob a host is about to fetch.
/// </remarks>
internal sealed class MirrorPruner(MirrorIo io, TrustPolicy policy, TimeProvider time)
{
    private readonly CoverageBinVerifier _bins = new(policy, time);
    private readonly ManifestVerifier _manifests = new(policy, time);

    public async Task PruneAsync(RepositoryIndex index, IReadOnlyList<IndexBin> selected, MirrorPlan plan, CancellationToken cancellation)
    {
        var bins = new HashSet<string>(StringComparer.Ordinal);
        var manifests = new HashSet<string>(StringComparer.Ordinal);
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in selected)
        {
            var binPath = MirrorTree.CoveragePath(entry.Channel, entry.Prefix);
            bins.Add(binPath);
            foreach (var kernel in await KernelsOfAsync(index.Repository, entry, binPath, plan, cancellation).ConfigureAwait(false))
            {
                var manifestPath = MirrorTree.ManifestPath(entry.Channel, kernel.BuildId);
                manifests.Add(manifestPath);
                blobs.UnionWith(await BlobsOfAsync(index.Repository, entry.Channel, kernel, manifestPath, plan, cancellation).ConfigureAwait(false));
            }
        }

        // Every list is complete before the first deletion.
        var deletions = new List<(MirrorFileKind, string)>();
        deletions.AddRange(await UnnamedAsync(MirrorTree.CoverageFolder, bins, MirrorFileKind.Bin, cancellation).ConfigureAwait(false));
        deletions.AddRange(await UnnamedAsync(MirrorTree.ManifestsFolder, manifests, MirrorFileKind.Manifest, cancellation).ConfigureAwait(false));
        deletions.AddRange(await UnnamedAsync(MirrorTree.BlobsFolder, blobs.Select(MirrorTree.BlobPath).ToHashSet(StringComparer.Ordinal),
            MirrorFileKind.Blob, cancellation).ConfigureAwait(false));

        // Documents first, then blobs: a reader never finds a manifest that names a deleted blob.
        foreach (var (kind, path) in deletions)
        {
            await io.DeleteAsync(kind, path, cancellation).ConfigureAwait(false);
        }
    }

    private async Task<List<(MirrorFileKind, string)>> UnnamedAsync(string folder, HashSet<string> named, MirrorFileKind kind,
        CancellationToken cancellation) =>
        [.. (await io.ListTargetAsync(folder, cancellation).ConfigureAwait(false)).Where(p => !named.Contains(p)).Select(p => (kind, p))];

    private async Task<IReadOnlyList<CoveredKernel>> KernelsOfAsync(string repository, IndexBin entry, string path, MirrorPlan plan,
        CancellationToken cancellation)
    {
        if (plan.BinKernels.TryGetValue(path, out var kernels))
        {
            return kernels;
        }

        var signed = await ReadHeldAsync(path, entry.Size, entry.Sha256, cancellation).ConfigureAwait(false);
        var verified = _bins.Verify(signed);
        Refuse(verified.Issue ?? CoverageExpectations.CheckMatches(verified.Bin!, repository, entry.Channel, entry.Prefix), path);
        return verified.Bin!.Kernels;
    }

    private async Task<IReadOnlyList<string>> BlobsOfAsync(string repository, string channel, CoveredKernel kernel, string path,
        MirrorPlan plan, CancellationToken cancellation)
    {
        if (plan.ManifestBlobs.TryGetValue(path, out var blobs))
        {
            return blobs;
        }

        var signed = await ReadHeldAsync(path, kernel.Size, kernel.Sha256, cancellation).ConfigureAwait(false);
        var verified = _manifests.Verify(signed);
        Refuse(verified.Issue ?? ManifestExpectations.CheckMatches(verified.Manifest!, repository, channel, kernel.BuildId), path);
        return [.. verified.Manifest!.Patches.Select(p => p.Sha256)];
    }

    /// <summary>The target's copy of a document, which must be the one its verified parent lists.</summary>
    private async Task<byte[]> ReadHeldAsync(string path, long size, string sha256, CancellationToken cancellation)
    {
        byte[]? bytes = null;
        try
        {
            bytes = await io.ReadTargetAsync(path, size, cancellation).ConfigureAwait(false);
        }
        catch (MirrorSourceTooLargeException)
        {
            // refused below
        }

        if (bytes is null || MirrorIo.Sha256Hex(bytes) != sha256)
        {
            throw new MirrorRefusal(ErrorCodes.MirrorTargetInvalid,
                $"{io.Target.Description}: {path} is missing or not the file its parent lists; nothing was pruned (the target is damaged: remove its v1/index and sync again to rebuild it).");
        }

        return bytes;
    }

    private void Refuse(VerificationIssue? issue, string path)
    {
        if (issue is not null)
        {
            throw new MirrorRefusal(issue.Error, $"{io.Target.Description}: {path}: {issue.Message}; nothing was pruned.");
        }
    }
}
