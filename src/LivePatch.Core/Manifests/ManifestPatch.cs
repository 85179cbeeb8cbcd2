namespace LivePatch.Core.Manifests;

/// <summary>One livepatch module offered by a manifest; levels are cumulative (atomic replace).</summary>
public sealed record ManifestPatch
{
    /// <summary>Kernel module name (also the /sys/kernel/livepatch directory name).</summary>
    public required string Name { get; init; }

    public required int Level { get; init; }

    /// <summary>Lowercase hex SHA-256 of the module file as served under /v1/blobs/sha256/.</summary>
    public required string Sha256 { get; init; }

    public required long Size { get; init; }

    /// <summary>Module signing key id in colon hex, as <c>modinfo</c> prints <c>sig_key</c>.</summary>
    public required string Signer { get; init; }

    /// <summary>Whether the module is built with atomic replace (<c>klp_patch.replace</c>).</summary>
    public required bool Replace { get; init; }

    public IReadOnlyList<string> Cves { get; init; } = [];

    public string? Severity { get; init; }

    public string? Description { get; init; }

    public required DateTimeOffset Published { get; init; }
}
