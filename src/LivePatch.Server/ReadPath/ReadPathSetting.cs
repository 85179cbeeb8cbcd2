namespace LivePatch.Server.ReadPath;

/// <summary>Which read path serves the fleet's polls (<c>LivePatch:ReadPath</c>).</summary>
public enum ReadPathDesign
{
    /// <summary>Stored manifests packed in a <see cref="ManifestTable"/> on huge pages, Kestrel's buffers from <see cref="WarmBlockPool"/>.</summary>
    Tuned,

    /// <summary>Stored manifests in a <see cref="ManifestSnapshot"/>, Kestrel's own buffer pool, no huge pages.</summary>
    Simple,
}

/// <summary>The <c>LivePatch:ReadPath</c> setting: <c>tuned</c> (the default) or <c>simple</c>, the two sides of the read path's
/// A/B (bench/run.sh <c>READ_PATHS</c>). The middleware, headers, ETags, 304 rules and metrics are the same in both; only
/// where stored manifests live and which pool Kestrel's buffers come from differ.</summary>
public static class ReadPathSetting
{
    public const string Key = Configuration.RepositoryOptions.Section + ":ReadPath";

    /// <summary>The design a value names (case-insensitive; unset is <see cref="ReadPathDesign.Tuned"/>), or null for any other
    /// value, which the options' validation refuses at start.</summary>
    public static ReadPathDesign? ParseOrNull(string? value) => value switch
    {
        null or "" => ReadPathDesign.Tuned,
        _ when value.Equals("tuned", StringComparison.OrdinalIgnoreCase) => ReadPathDesign.Tuned,
        _ when value.Equals("simple", StringComparison.OrdinalIgnoreCase) => ReadPathDesign.Simple,
        _ => null,
    };

    /// <summary>The store of served manifests for a design.</summary>
    public static IServedManifestStore CreateStore(ReadPathDesign design) =>
        design == ReadPathDesign.Simple ? new ManifestSnapshot() : new ManifestTable();
}
