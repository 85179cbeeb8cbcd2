namespace LivePatch.Core.Manifests;

/// <summary>The signed list of every coverage bin of a repository: where a mirror starts to sync (index, then changed
/// bins, then the manifests those name, then missing blobs).</summary>
/// <remarks>It names bins, not manifests, so it stays small however many kernels the repository covers
/// (256 bins per channel; docs/manifests.md, "Repository index").</remarks>
public sealed record RepositoryIndex
{
    /// <summary>Schema 2 lists bins; schema 1 (every manifest) is no longer written or read.</summary>
    public const int CurrentSchema = 2;

    public required int Schema { get; init; }

    public required string Repository { get; init; }

    /// <summary>Repository-wide version at the time the index was signed.</summary>
    public required ulong Version { get; init; }

    public required DateTimeOffset Issued { get; init; }

    public required DateTimeOffset Expires { get; init; }

    /// <summary>Every bin of every channel, sorted by channel then prefix (ordinal).</summary>
    public required IReadOnlyList<IndexBin> Bins { get; init; }
}

/// <summary>One signed coverage bin named by a repository index.</summary>
public sealed record IndexBin
{
    public required string Channel { get; init; }

    /// <summary>The bin's two lowercase hex digits.</summary>
    public required string Prefix { get; init; }

    public required ulong Version { get; init; }

    /// <summary>Lowercase hex SHA-256 of the signed (CMS) bin file.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Size in bytes of the signed bin file.</summary>
    public required long Size { get; init; }
}
