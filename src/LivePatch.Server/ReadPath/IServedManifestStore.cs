namespace LivePatch.Server.ReadPath;

/// <summary>Where the read path finds stored manifests by key (<c>channel/buildId</c>): the tuned <see cref="ManifestTable"/> or
/// the simple <see cref="ManifestSnapshot"/>, as <c>LivePatch:ReadPath</c> chooses (<see cref="ReadPathSetting"/>).</summary>
/// <remarks>Both answer the same: a lookup that neither allocates nor locks, and a batch of changes that readers see one
/// manifest at a time, each whole (the old version or the new). They differ only in how the bytes are laid out in memory.</remarks>
public interface IServedManifestStore
{
    /// <summary>Stored manifests.</summary>
    int Count { get; }

    /// <summary>Finds a manifest by its key without allocating or locking.</summary>
    bool TryGet(ReadOnlySpan<char> key, out StoredManifest manifest);

    /// <summary>Stores or replaces manifests (the last of a key in the batch wins).</summary>
    /// <exception cref="ArgumentException">A key or ETag that is not ASCII or longer than 65,535 characters; then none of
    /// <paramref name="manifests"/> is stored.</exception>
    void SetAll(IReadOnlyCollection<(string Key, string ETag, byte[] Body)> manifests);
}

/// <summary>What either store accepts: keys and ETags of ASCII, at most 65,535 characters (the table's record header holds
/// their lengths in 16 bits; the middleware compares an ETag byte for byte with the request's header).</summary>
internal static class StoredManifestRules
{
    /// <exception cref="ArgumentException">The first key or ETag that breaks the rule.</exception>
    public static void ThrowIfNotStorable(IEnumerable<(string Key, string ETag, byte[] Body)> manifests)
    {
        foreach (var (key, etag, _) in manifests)
        {
            if (key.Length > ushort.MaxValue || etag.Length > ushort.MaxValue || !System.Text.Ascii.IsValid(key) || !System.Text.Ascii.IsValid(etag))
            {
                throw new ArgumentException($"Manifest key '{key}' or its ETag is not ASCII of at most 65,535 characters.", nameof(manifests));
            }
        }
    }
}
