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

    /// <summary>Where a site repository imported the patch from; null for a patch published to this repository itself.</summary>
    /// <remarks>Optional and informational: hosts trust the repository that signed the manifest, never this field. Hosts from
    /// before it ignore it (unknown properties are ignored within schema 1).</remarks>
    public PatchUpstream? Upstream { get; init; }
}

/// <summary>The provenance of an imported patch (docs/manifests.md, <c>upstream</c>): the vendor repository and the version
/// of its index the site imported the patch at. The upstream patch itself is the entry's own name, level and SHA-256,
/// which the site keeps unchanged.</summary>
public sealed record PatchUpstream
{
    /// <summary>The vendor's repository id, as its signed index names it.</summary>
    public required string Repository { get; init; }

    /// <summary>The vendor index version of the import that brought the patch.</summary>
    public required ulong Version { get; init; }
}
