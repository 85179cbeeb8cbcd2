namespace LivePatch.Core.Manifests;

/// <summary>The signed list of all manifests of a repository, used by mirrors to sync.</summary>
public sealed record RepositoryIndex
{
    public const int CurrentSchema = 1;

    public required int Schema { get; init; }

    public required string Repository { get; init; }

    /// <summary>Repository-wide version at the time the index was signed.</summary>
    public required ulong Version { get; init; }

    public required DateTimeOffset Issued { get; init; }

    public required DateTimeOffset Expires { get; init; }

    public required IReadOnlyList<IndexEntry> Manifests { get; init; }
}

/// <summary>One signed manifest file named by a repository index.</summary>
public sealed record IndexEntry
{
    public required string Channel { get; init; }

    public required string BuildId { get; init; }

    public required ulong Version { get; init; }

    /// <summary>Lowercase hex SHA-256 of the signed (CMS) manifest file.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Size in bytes of the signed manifest file.</summary>
    public required long Size { get; init; }
}
