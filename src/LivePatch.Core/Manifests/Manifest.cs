namespace LivePatch.Core.Manifests;

/// <summary>The signed list of patches for one kernel build in one channel (docs/manifests.md).</summary>
/// <remarks>What is signed is the exact serialized bytes; the client parses what it verified.</remarks>
public sealed record Manifest
{
    /// <summary>The only schema this code reads and writes.</summary>
    public const int CurrentSchema = 1;

    public required int Schema { get; init; }

    /// <summary>Repository id; the client checks it equals the repository it asked (mix-and-match).</summary>
    public required string Repository { get; init; }

    public required string Channel { get; init; }

    /// <summary>Lowercase hex GNU build ID of the kernel the patches are for.</summary>
    public required string BuildId { get; init; }

    /// <summary><c>uname -r</c> of that kernel; metadata only, the build ID is the identity.</summary>
    public required string KernelRelease { get; init; }

    /// <summary>Repository-wide, strictly increasing; the client refuses a lower one (TUF rollback attack).</summary>
    public required ulong Version { get; init; }

    public required DateTimeOffset Issued { get; init; }

    /// <summary>After this the manifest is refused (TUF freeze attack).</summary>
    public required DateTimeOffset Expires { get; init; }

    public required IReadOnlyList<ManifestPatch> Patches { get; init; }

    public IReadOnlyList<RevokedPatch> Revoked { get; init; } = [];
}
