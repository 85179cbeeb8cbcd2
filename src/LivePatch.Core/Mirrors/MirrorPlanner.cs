using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Mirrors;

/// <summary>A verified document waiting in staging for its turn to be written.</summary>
internal sealed record StagedFile(string Path, StagedContent Staged, long Size);

/// <summary>Everything a sync will write, all verified before the first write: the changed bins and manifests (staged), the
/// blobs those manifests name, and what was learnt on the way that a prune needs.</summary>
internal sealed class MirrorPlan
{
    public List<StagedFile> Manifests { get; } = [];

    public List<StagedFile> Bins { get; } = [];

    /// <summary>SHA-256 to size of every blob a changed manifest names.</summary>
    public Dictionary<string, long> Blobs { get; } = new(StringComparer.Ordinal);

    /// <summary>The kernels of each bin verified in this run, by path.</summary>
    public Dictionary<string, IReadOnlyList<CoveredKernel>> BinKernels { get; } = new(StringComparer.Ordinal);

    /// <summary>The blobs of each manifest verified in this run, by path.</summary>
    public Dictionary<string, IReadOnlyList<string>> ManifestBlobs { get; } = new(StringComparer.Ordinal);
}

/// <summary>Top-down, as docs/manifests.md says a mirror syncs: the bins whose index entry changed, then the manifests those
/// bins name with a hash the target does not hold, then the blobs those manifests name. Each document is checked against
/// the size and SHA-256 its parent lists, then verified as a host would (signature, chain, freshness, identity).</summary>
internal sealed class MirrorPlanner(MirrorIo io, TrustPolicy policy, TimeProvider time, MirrorStaging staging, ulong? since = null)
{
    private readonly CoverageBinVerifier _bins = new(policy, time);
    private readonly ManifestVerifier _manifests = new(policy, time);

    public async Task<MirrorPlan> PlanAsync(RepositoryIndex index, IReadOnlyList<IndexBin> selected, RepositoryIndex? previous,
        CancellationToken cancellation)
    {
        var held = (previous?.Bins ?? []).ToDictionary(b => (b.Channel, b.Prefix));
        var plan = new MirrorPlan();
        foreach (var entry in selected)
        {
            // The target's verified index vouches for the bins it names (it is written last, after them); the size check
            // catches a bin it names but does not hold (an earlier sync of other channels, a damaged copy).
            held.TryGetValue((entry.Channel, entry.Prefix), out var old);
            if (entry.Version <= since
                || (old?.Sha256 == entry.Sha256
                    && await io.TargetSizeAsync(MirrorTree.CoveragePath(entry.Channel, entry.Prefix), cancellation).ConfigureAwait(false) == entry.Size))
            {
                io.Skipped(MirrorFileKind.Bin);
                continue;
            }

            if (old is not null && entry.Version < old.Version)
            {
                throw new MirrorRefusal(ErrorCodes.MirrorBinRollback, $"{io.Source.Description}: the index names coverage bin " +
                    $"{entry.Channel}/{entry.Prefix} at version {entry.Version}, older than the version {old.Version} the target holds.");
            }

            await PlanBinAsync(index.Repository, entry, plan, cancellation).ConfigureAwait(false);
        }

        return plan;
    }

    private async Task PlanBinAsync(string repository, IndexBin entry, MirrorPlan plan, CancellationToken cancellation)
    {
        var path = MirrorTree.CoveragePath(entry.Channel, entry.Prefix);
        var signed = await FetchAsync(path, entry.Size, entry.Sha256, "the index", cancellation).ConfigureAwait(false);
        var verified = _bins.Verify(signed);
        var issue = verified.Issue ?? CoverageExpectations.CheckMatches(verified.Bin!, repository, entry.Channel, entry.Prefix);
        Refuse(issue, path);
        plan.Bins.Add(new StagedFile(path, staging.Put(signed), signed.Length));
        plan.BinKernels[path] = verified.Bin!.Kernels;
        var needed = new List<CoveredKernel>();
        foreach (var kernel in verified.Bin.Kernels)
        {
            if (kernel.Version <= since
                || await io.TargetHoldsAsync(MirrorTree.ManifestPath(entry.Channel, kernel.BuildId), kernel.Size, kernel.Sha256, cancellation)
                    .ConfigureAwait(false))
            {
                io.Skipped(MirrorFileKind.Manifest);
                continue;
            }

            needed.Add(kernel);
        }

        // Verifying a manifest is CPU work (about 1 ms) and fetching one a round trip: a few at once use every core and
        // overlap the waits. They join the plan in the bin's order, so the run does not depend on which finished first.
        var manifests = new VerifiedManifest[needed.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, needed.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ManifestsAtOnce, CancellationToken = cancellation },
            async (i, token) => manifests[i] = await FetchManifestAsync(repository, entry.Channel, needed[i], token).ConfigureAwait(false))
            .ConfigureAwait(false);
        foreach (var manifest in manifests)
        {
            AddManifest(plan, manifest);
        }
    }

    /// <summary>At most this many manifests are fetched and verified at once (each at most the manifest cap in memory).</summary>
    private static readonly int ManifestsAtOnce = Math.Clamp(2 * Environment.ProcessorCount, 2, 8);

    private sealed record VerifiedManifest(StagedFile File, Manifest Manifest);

    /// <summary>Fetched, checked against its bin entry, verified as a host would, staged; safe to run concurrently (the
    /// verifiers' remembered signers and chains, the staging and the I/O guard are safe to share between threads).</summary>
    private async Task<VerifiedManifest> FetchManifestAsync(string repository, string channel, CoveredKernel kernel, CancellationToken cancellation)
    {
        var path = MirrorTree.ManifestPath(channel, kernel.BuildId);
        var signed = await FetchAsync(path, kernel.Size, kernel.Sha256, $"coverage bin {channel}/{CoverageBin.PrefixOf(kernel.BuildId)}",
            cancellation).ConfigureAwait(false);
        var verified = _manifests.Verify(signed);
        var issue = verified.Issue ?? ManifestExpectations.CheckMatches(verified.Manifest!, repository, channel, kernel.BuildId);
        Refuse(issue, path);
        return new VerifiedManifest(new StagedFile(path, staging.Put(signed), signed.Length), verified.Manifest!);
    }

    private static void AddManifest(MirrorPlan plan, VerifiedManifest verified)
    {
        var path = verified.File.Path;
        plan.Manifests.Add(verified.File);
        plan.ManifestBlobs[path] = [.. verified.Manifest.Patches.Select(p => p.Sha256)];
        foreach (var patch in verified.Manifest.Patches)
        {
            if (plan.Blobs.TryGetValue(patch.Sha256, out var size) && size != patch.Size)
            {
                throw new MirrorRefusal(ErrorCodes.MirrorBlobMismatch,
                    $"{path} gives blob {patch.Sha256} a size of {patch.Size} bytes, another manifest {size}.");
            }

            plan.Blobs[patch.Sha256] = patch.Size;
        }
    }

    /// <summary>The source's bytes of a document its parent lists with <paramref name="size"/> and <paramref name="sha256"/>;
    /// anything else is refused before a parser sees it.</summary>
    private async Task<byte[]> FetchAsync(string path, long size, string sha256, string parent, CancellationToken cancellation)
    {
        var bytes = await io.ReadSourceAsync(path, size, ErrorCodes.MirrorDocumentMismatch, cancellation).ConfigureAwait(false)
            ?? throw new MirrorRefusal(ErrorCodes.MirrorSourceIncomplete, $"{io.Source.Description} has no {path}, which {parent} names.");
        if (bytes.Length != size || MirrorIo.Sha256Hex(bytes) != sha256)
        {
            throw new MirrorRefusal(ErrorCodes.MirrorDocumentMismatch, $"{io.Source.Description}: {path} is not the file {parent} " +
                $"names ({bytes.Length} bytes with SHA-256 {MirrorIo.Sha256Hex(bytes)}, expected {size} bytes with {sha256}).");
        }

        return bytes;
    }

    private void Refuse(VerificationIssue? issue, string path)
    {
        if (issue is not null)
        {
            throw new MirrorRefusal(issue.Error, $"{io.Source.Description}: {path}: {issue.Message}");
        }
    }
}
