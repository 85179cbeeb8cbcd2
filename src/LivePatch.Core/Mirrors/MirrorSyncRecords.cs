using System.Diagnostics.CodeAnalysis;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Mirrors;

/// <summary>What one mirror sync does: whose roots it trusts, which channels it copies, whether it deletes.</summary>
public sealed record MirrorSyncOptions
{
    /// <summary>The source repository's pinned roots (and threshold): every document is verified under it.</summary>
    public required TrustPolicy Policy { get; init; }

    /// <summary>The channels to copy; empty copies every channel the source's index lists.</summary>
    public IReadOnlyCollection<string> Channels { get; init; } = [];

    /// <summary>After the index is written, delete what the copied channels of the new index no longer name.</summary>
    public bool Prune { get; init; }

    /// <summary>Called after each file written or deleted, on the sync's own flow (never concurrently).</summary>
    public Action<MirrorProgress>? Progress { get; init; }

    /// <summary>Copy only what changed after this repository version: bins and manifests whose version is above it (and
    /// the blobs those manifests name). For incremental bundles (<c>lpatch mirror export --since</c>), whose target holds
    /// nothing to compare with; null copies everything the target lacks.</summary>
    public ulong? SinceVersion { get; init; }

    /// <summary>Where the verified documents and blobs wait before they are written (a folder made and removed inside it);
    /// null for the system's temp folder.</summary>
    public string? StagingParent { get; init; }
}

/// <summary>The four kinds of file in a tree, in the order a sync writes them (index last).</summary>
public enum MirrorFileKind
{
    Blob,
    Manifest,
    Bin,
    Index,
}

/// <summary>Progress so far: files and bytes copied in all, and the file just done.</summary>
public sealed record MirrorProgress(MirrorFileKind Kind, string Path, long FilesCopied, long BytesCopied, long FilesDeleted);

/// <summary>What happened to one kind of file.</summary>
public sealed record MirrorCount(long Copied, long Bytes, long Skipped, long Deleted);

/// <summary>A finished sync: the index version the target now holds and what was copied, skipped and deleted per kind.</summary>
public sealed record MirrorSyncSummary
{
    public required string Source { get; init; }

    public required string Target { get; init; }

    public required string Repository { get; init; }

    public required ulong IndexVersion { get; init; }

    /// <summary>The version of the index the target held before, or null when it held none.</summary>
    public ulong? PreviousIndexVersion { get; init; }

    /// <summary>With <see cref="MirrorSyncOptions.SinceVersion"/> (an incremental export): only the documents above this
    /// version, and the blobs they name, were copied.</summary>
    public ulong? SinceVersion { get; init; }

    public required MirrorCount Index { get; init; }

    public required MirrorCount Bins { get; init; }

    public required MirrorCount Manifests { get; init; }

    public required MirrorCount Blobs { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public long FilesCopied => Index.Copied + Bins.Copied + Manifests.Copied + Blobs.Copied;

    public long BytesCopied => Index.Bytes + Bins.Bytes + Manifests.Bytes + Blobs.Bytes;

    public long FilesDeleted => Bins.Deleted + Manifests.Deleted + Blobs.Deleted;
}

/// <summary>A sync's outcome: the summary, or the one issue that stopped it (with the target's documents as they were).</summary>
public sealed record MirrorSyncResult
{
    [MemberNotNullWhen(true, nameof(Summary))]
    [MemberNotNullWhen(false, nameof(Issue))]
    public bool IsSuccess => Summary is not null;

    public MirrorSyncSummary? Summary { get; init; }

    public VerificationIssue? Issue { get; init; }
}

/// <summary>Stops a sync with one issue; <see cref="MirrorSync"/> turns it into a <see cref="MirrorSyncResult"/>.</summary>
internal sealed class MirrorRefusal(ErrorCode code, string message) : Exception(message)
{
    public VerificationIssue Issue { get; } = new(code, message);
}
