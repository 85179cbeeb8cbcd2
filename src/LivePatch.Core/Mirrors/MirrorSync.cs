using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Mirrors;

/// <summary>Makes a target a current copy of a source repository's read tree, verifying everything on the way
/// (docs/mirrors.md): a transparent mirror that hosts need not trust, because every byte it holds is signed.</summary>
/// <remarks>
/// The steps: read and verify the source's index; refuse one older than the target's (a mirror never goes back); verify the
/// changed bins, then the manifests they name that the target lacks; copy the blobs those name; then write manifests, bins
/// and the index last, so that a reader of the target never meets a document naming a file that is not there yet, and a
/// sync stopped at any point leaves a consistent tree that the next run completes. A refusal anywhere leaves the target's
/// documents as they were (blobs copied before it are harmless: content-addressed, named by nothing yet).
/// </remarks>
public sealed class MirrorSync(IMirrorSource source, IMirrorTarget target, MirrorSyncOptions options, TimeProvider time)
{
    /// <summary>The largest signed index read: 65 536 bins (the index's own cap) of about 180 bytes each, with room for
    /// channel names longer than the server allows.</summary>
    public const long MaxSignedIndexBytes = 32 * 1024 * 1024;

    /// <summary>Runs one sync; refusals and I/O failures are the result's issue, never an exception.</summary>
    public async Task<MirrorSyncResult> RunAsync(CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options.Policy);
        var started = time.GetTimestamp();
        var io = new MirrorIo(source, target, options.Progress);
        using var staging = new MirrorStaging(options.StagingParent);
        try
        {
            // The index: the source's, verified; the target's, to compare with and never to go back from.
            var (signedIndex, index) = await ReadSourceIndexAsync(io, cancellation).ConfigureAwait(false);
            var (heldIndex, previous) = await ReadTargetIndexAsync(io, cancellation).ConfigureAwait(false);
            CheckNotBehind(index, previous);
            var selected = Select(index);

            // Verify every changed document before the first write, then the blobs, then write top-down in reverse.
            var plan = await new MirrorPlanner(io, options.Policy, time, staging, options.SinceVersion).PlanAsync(index, selected, previous, cancellation).ConfigureAwait(false);
            // Each phase is made durable before the next writes what names it (one flush per phase, not per file).
            await new MirrorBlobCopier(io, staging).CopyAsync(plan.Blobs, cancellation).ConfigureAwait(false);
            await io.FlushTargetAsync(cancellation).ConfigureAwait(false);
            await WriteStagedAsync(io, MirrorFileKind.Manifest, plan.Manifests, cancellation).ConfigureAwait(false);
            await io.FlushTargetAsync(cancellation).ConfigureAwait(false);
            await WriteStagedAsync(io, MirrorFileKind.Bin, plan.Bins, cancellation).ConfigureAwait(false);
            await io.FlushTargetAsync(cancellation).ConfigureAwait(false);
            await WriteIndexAsync(io, signedIndex, heldIndex, cancellation).ConfigureAwait(false);
            await io.FlushTargetAsync(cancellation).ConfigureAwait(false);

            if (options.Prune)
            {
                await new MirrorPruner(io, options.Policy, time).PruneAsync(index, selected, plan, cancellation).ConfigureAwait(false);
            }

            return new MirrorSyncResult { Summary = Summarize(io, index, previous, time.GetElapsedTime(started)) };
        }
        catch (MirrorRefusal refusal)
        {
            return new MirrorSyncResult { Issue = refusal.Issue };
        }
    }

    private async Task<(byte[] Signed, RepositoryIndex Index)> ReadSourceIndexAsync(MirrorIo io, CancellationToken cancellation)
    {
        var signed = await io.ReadSourceAsync(MirrorTree.IndexPath, MaxSignedIndexBytes, ErrorCodes.MirrorIndexTooLarge, cancellation)
            .ConfigureAwait(false) ?? throw new MirrorRefusal(ErrorCodes.MirrorSourceIncomplete,
                $"{source.Description} has no {MirrorTree.IndexPath}: not a repository or a copy of one.");
        var index = new RepositoryIndexVerifier(options.Policy, time).Verify(signed, out var issue);
        return index is not null ? (signed, index)
            : throw new MirrorRefusal(issue!.Error, $"{source.Description}: {MirrorTree.IndexPath}: {issue.Message}");
    }

    /// <summary>The target's index, verified for signature and chain but not freshness: a copy not synced for a while has an
    /// expired index, and its version still says where the mirror must not go back from.</summary>
    private async Task<(byte[]? Signed, RepositoryIndex? Index)> ReadTargetIndexAsync(MirrorIo io, CancellationToken cancellation)
    {
        byte[]? signed;
        try
        {
            signed = await io.ReadTargetAsync(MirrorTree.IndexPath, MaxSignedIndexBytes, cancellation).ConfigureAwait(false);
        }
        catch (MirrorSourceTooLargeException)
        {
            throw TargetIndexInvalid($"it is larger than {MaxSignedIndexBytes} bytes");
        }

        if (signed is null)
        {
            return (null, null);
        }

        var verified = new SignedContentVerifier(options.Policy, time).Verify(signed, LivePatchOids.RepositoryIndexContentType);
        if (!verified.IsValid)
        {
            throw TargetIndexInvalid($"[{verified.Issue!.Code}] {verified.Issue.Message}");
        }

        try
        {
            return (signed, ManifestSerializer.DeserializeIndex(verified.Content));
        }
        catch (LivePatchFormatException e)
        {
            throw TargetIndexInvalid($"[{e.Code}] {e.Message}");
        }
    }

    private MirrorRefusal TargetIndexInvalid(string why) => new(ErrorCodes.MirrorTargetInvalid,
        $"{target.Description}: its {MirrorTree.IndexPath} does not verify against the given roots ({why}): it is another " +
        "repository's copy, or damaged. Sync into an empty folder, or remove that file to start over (which forgets the version " +
        "it protects against going back).");

    private void CheckNotBehind(RepositoryIndex index, RepositoryIndex? previous)
    {
        if (previous is null)
        {
            return;
        }

        if (!string.Equals(previous.Repository, index.Repository, StringComparison.Ordinal))
        {
            throw new MirrorRefusal(ErrorCodes.MirrorTargetInvalid,
                $"{target.Description} holds a copy of repository '{previous.Repository}', {source.Description} is repository '{index.Repository}'.");
        }

        if (index.Version < previous.Version)
        {
            throw new MirrorRefusal(ErrorCodes.MirrorIndexRollback, $"{source.Description} serves index version {index.Version}, " +
                $"older than the version {previous.Version} {target.Description} holds: a mirror never goes back (a stale or replayed source).");
        }
    }

    /// <summary>The bins of the chosen channels; a channel name that is no safe path segment is refused, not skipped.</summary>
    private List<IndexBin> Select(RepositoryIndex index)
    {
        var unknown = options.Channels.Where(c => !index.Bins.Any(b => b.Channel == c)).ToList();
        if (unknown.Count > 0)
        {
            throw new MirrorRefusal(ErrorCodes.MirrorChannelUnknown, $"{source.Description}'s index lists no channel " +
                $"{string.Join(", ", unknown.Select(c => $"'{c}'"))} (it lists {string.Join(", ", index.Bins.Select(b => b.Channel).Distinct())}).");
        }

        var selected = index.Bins.Where(b => options.Channels.Count == 0 || options.Channels.Contains(b.Channel)).ToList();
        if (selected.FirstOrDefault(b => !MirrorTree.IsChannelName(b.Channel)) is { } bad)
        {
            throw new MirrorRefusal(ErrorCodes.MirrorNameInvalid, $"{source.Description}'s index names channel '{bad.Channel}', " +
                "which is not a channel name (a-z, 0-9, '-', at most 32) and cannot be a path of the tree.");
        }

        return selected;
    }

    private static async Task WriteStagedAsync(MirrorIo io, MirrorFileKind kind, IEnumerable<StagedFile> files, CancellationToken cancellation)
    {
        foreach (var file in files)
        {
            await using var staged = file.Staged.Open();
            await io.WriteAsync(kind, file.Path, staged, file.Size, cancellation).ConfigureAwait(false);
        }
    }

    private static async Task WriteIndexAsync(MirrorIo io, byte[] signed, byte[]? held, CancellationToken cancellation)
    {
        if (held is not null && held.AsSpan().SequenceEqual(signed))
        {
            io.Skipped(MirrorFileKind.Index);
            return;
        }

        using var content = new MemoryStream(signed, writable: false);
        await io.WriteAsync(MirrorFileKind.Index, MirrorTree.IndexPath, content, signed.Length, cancellation).ConfigureAwait(false);
    }

    private MirrorSyncSummary Summarize(MirrorIo io, RepositoryIndex index, RepositoryIndex? previous, TimeSpan elapsed) => new()
    {
        Source = source.Description,
        Target = target.Description,
        Repository = index.Repository,
        IndexVersion = index.Version,
        PreviousIndexVersion = previous?.Version,
        SinceVersion = options.SinceVersion,
        Index = io.CountOf(MirrorFileKind.Index),
        Bins = io.CountOf(MirrorFileKind.Bin),
        Manifests = io.CountOf(MirrorFileKind.Manifest),
        Blobs = io.CountOf(MirrorFileKind.Blob),
        Elapsed = elapsed,
    };
}
