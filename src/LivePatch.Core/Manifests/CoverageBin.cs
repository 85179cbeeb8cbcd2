namespace LivePatch.Core.Manifests;

/// <summary>The signed list of every kernel one channel covers whose build ID starts with one two-hex-digit prefix
/// (docs/manifests.md, "Coverage bins", after TUF's hashed bin delegations).</summary>
/// <remarks>
/// Lets any mirror give a verifiable "this kernel is not covered": a build ID absent from its verified bin has no
/// manifest; one present names the manifest a mirror that answers 404 is withholding.
/// </remarks>
public sealed record CoverageBin
{
    /// <summary>The only schema this code reads and writes.</summary>
    public const int CurrentSchema = 1;

    /// <summary>Hex digits of a build ID that name its bin: two, so 256 bins per channel.</summary>
    public const int PrefixLength = 2;

    public required int Schema { get; init; }

    /// <summary>Repository id; the host checks it equals the repository it asked (mix-and-match).</summary>
    public required string Repository { get; init; }

    public required string Channel { get; init; }

    /// <summary>Two lowercase hex digits every build ID in <see cref="Kernels"/> starts with.</summary>
    public required string Prefix { get; init; }

    /// <summary>Repository-wide version at signing; the host refuses a lower one for this bin (TUF rollback attack).</summary>
    public required ulong Version { get; init; }

    public required DateTimeOffset Issued { get; init; }

    /// <summary>After this the bin is refused (TUF freeze attack: an old "not covered" must not outlive a new kernel).</summary>
    public required DateTimeOffset Expires { get; init; }

    /// <summary>Sorted by build ID (ordinal), no duplicates: one byte form per content, and <see cref="FindOrNull"/> can bisect.</summary>
    public required IReadOnlyList<CoveredKernel> Kernels { get; init; }

    /// <summary>The bin prefix of a lowercase hex build ID (as <see cref="Kernel.BuildId.Hex"/> gives it).</summary>
    public static string PrefixOf(string buildId)
    {
        ArgumentNullException.ThrowIfNull(buildId);
        if (buildId.Length < PrefixLength || !ManifestRules.IsLowerHex(buildId))
        {
            throw new ArgumentException($"'{buildId}' is not a lowercase hex build ID.", nameof(buildId));
        }

        return buildId[..PrefixLength];
    }

    /// <summary>The entry for <paramref name="buildId"/>, or null when this bin does not cover it.</summary>
    /// <remarks>Binary search: the rules guarantee <see cref="Kernels"/> is strictly ascending by ordinal comparison.</remarks>
    public CoveredKernel? FindOrNull(string buildId)
    {
        ArgumentNullException.ThrowIfNull(buildId);
        var (low, high) = (0, Kernels.Count - 1);
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var order = string.CompareOrdinal(Kernels[middle].BuildId, buildId);
            if (order == 0)
            {
                return Kernels[middle];
            }

            (low, high) = order < 0 ? (middle + 1, high) : (low, middle - 1);
        }

        return null;
    }
}

/// <summary>One covered kernel in a <see cref="CoverageBin"/>: the signed manifest a mirror must serve for it.</summary>
public sealed record CoveredKernel
{
    /// <summary>Lowercase hex GNU build ID; starts with the bin's prefix.</summary>
    public required string BuildId { get; init; }

    /// <summary>Version of the kernel's manifest when the bin was signed.</summary>
    public required ulong Version { get; init; }

    /// <summary>Lowercase hex SHA-256 of the signed (CMS) manifest file.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Size in bytes of the signed manifest file.</summary>
    public required long Size { get; init; }
}

/// <summary>One covered kernel as the server keeps it: the SHA-256 as its 32 bytes (two big-endian halves), not a hex string
/// and an object per kernel, for <see cref="CoverageBinSerializer.Serialize(CoverageBin, ReadOnlySpan{CoveredEntry})"/>.</summary>
public readonly record struct CoveredEntry(string BuildId, ulong Version, UInt128 Sha256High, UInt128 Sha256Low, long Size)
{
    /// <summary>The entry of a manifest whose SHA-256 is given as 64 hex digits.</summary>
    public static CoveredEntry Of(string buildId, ulong version, string sha256Hex, long size)
    {
        Span<byte> sha = stackalloc byte[32];
        if (sha256Hex is not { Length: 64 } || Convert.FromHexString(sha256Hex, sha, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != 32)
        {
            throw new ArgumentException($"'{sha256Hex}' is not a SHA-256 in hex.", nameof(sha256Hex));
        }

        return new(buildId, version, System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(sha),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(sha[16..]), size);
    }
}
