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
        var changed = new List<IndexBin>();
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

            changed.Add(entry);
        }

        // Fetching a document is a round trip and verifying it CPU work (an ECDSA verification): a few at once keep the
        // connection and the cores busy. The bins first, then the manifests of all of them as one stream of work, so no bin's
        // last manifest holds up the next bin. Everything joins the plan in the index's and the bins' order, so the run does
        // not depend on which finished first.
        var bins = new (IndexBin Entry, StagedFile File, IReadOnlyList<CoveredKernel> Kernels)[changed.Count];
        await AtOnceAsync(changed.Count, async (i, token) => bins[i] = await FetchBinAsync(index.Repository, changed[i], token).ConfigureAwait(false),
            cancellation).ConfigureAwait(false);
        var kernels = new List<(string Channel, CoveredKernel Kernel)>();
        foreach (var (entry, file, binKernels) in bins)
        {
            plan.Bins.Add(file);
            plan.BinKernels[file.Path] = binKernels;
            kernels.AddRange(binKernels.Select(k => (entry.Channel, k)));
        }

        var manifests = new VerifiedManifest?[kernels.Count];
        await AtOnceAsync(kernels.Count, async (i, token) => manifests[i] = await PlanManifestAsync(index.Repository, kernels[i].Channel,
            kernels[i].Kernel, token).ConfigureAwait(false), cancellation).ConfigureAwait(false);
        foreach (var manifest in manifests)
        {
            if (manifest is null)
            {
                io.Skipped(MirrorFileKind.Manifest);
            }
            else
            {
                AddManifest(plan, manifest);
            }
        }

        return plan;
    }

    /// <summary>At most this many documents are fetched and verified at once (each at most its cap in memory).</summary>
    private static readonly int DocumentsAtOnce = Math.Clamp(2 * Environment.ProcessorCount, 2, 8);

    private static Task AtOnceAsync(int count, Func<int, CancellationToken, ValueTask> body, CancellationToken cancellation) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = DocumentsAtOnce, CancellationToken = cancellation }, body);

    /// <summary>A changed bin: fetched, checked against its index entry, verified as a host would, staged.</summary>
    private async Task<(IndexBin, StagedFile, IReadOnlyList<CoveredKernel>)> FetchBinAsync(string repository, IndexBin entry,
        CancellationToken cancellation)
    {
        var path = MirrorTree.CoveragePath(entry.Channel, entry.Prefix);
        var signed = await FetchAsync(path, entry.Size, entry.Sha256, "the index", cancellation).ConfigureAwait(false);
        var verified = _bins.Verify(signed);
        var issue = verified.Issue ?? CoverageExpectations.CheckMatches(verified.Bin!, repository, entry.Channel, entry.Prefix);
        Refuse(issue, path);
        return (entry, new StagedFile(path, staging.Put(signed), signed.Length), verified.Bin!.Kernels);
    }

    /// <summary>What a verified manifest adds to the plan: its staged file and the blobs it names.</summary>
    private sealed record VerifiedManifest(StagedFile File, (string Sha256, long Size)[] Blobs);

    /// <summary>A kernel of a changed bin: null when the target already holds its manifest (or it is older than
    /// <c>since</c>), else the manifest fetched, checked against its bin entry, verified as a host would, staged. Safe to run
    /// concurrently (the verifiers' remembered signers and chains, the staging and the I/O guard are safe to share).</summary>
    private async Task<VerifiedManifest?> PlanManifestAsync(string repository, string channel, CoveredKernel kernel, CancellationToken cancellation)
    {
        var path = MirrorTree.ManifestPath(channel, kernel.BuildId);
        if (kernel.Version <= since || await io.TargetHoldsAsync(path, kernel.Size, kernel.Sha256, cancellation).ConfigureAwait(false))
        {
            return null;
        }

        var signed = await FetchAsync(path, kernel.Size, kernel.Sha256, $"coverage bin {channel}/{CoverageBin.PrefixOf(kernel.BuildId)}",
            cancellation).ConfigureAwait(false);
        var verified = _manifests.Verify(signed);
        var issue = verified.Issue ?? ManifestExpectations.CheckMatches(verified.Manifest!, repository, channel, kernel.BuildId);
        Refuse(issue, path);
        return new VerifiedManifest(new StagedFile(path, staging.Put(signed), signed.Length),
            [.. verified.Manifest!.Patches.Select(p => (p.Sha256, p.Size))]);
    }

    private static void AddManifest(MirrorPlan plan, VerifiedManifest verified)
    {
        var path = verified.File.Path;
        plan.Manifests.Add(verified.File);
        plan.ManifestBlobs[path] = [.. verified.Blobs.Select(b => b.Sha256)];
        foreach (var (sha256, patchSize) in verified.Blobs)
        {
            if (plan.Blobs.TryGetValue(sha256, out var size) && size != patchSize)
            {
                throw new MirrorRefusal(ErrorCodes.MirrorBlobMismatch,
                    $"{path} gives blob {sha256} a size of {patchSize} bytes, another manifest {size}.");
            }

            plan.Blobs[sha256] = patchSize;
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
