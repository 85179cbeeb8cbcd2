namespace LivePatch.Client.Updates;

/// <summary>Keeps <see cref="ClientState.ModuleDigests"/> bounded: a host sees a handful of modules per kernel.</summary>
internal static class ModuleDigestMap
{
    /// <summary>Far more than one host meets between kernel updates; the oldest entries go first beyond it.</summary>
    public const int MaxEntries = 512;

    public static Dictionary<string, string> With(Dictionary<string, string> map, string blob, string digest)
    {
        // Dictionary keeps insertion order while nothing is removed; removing and re-adding moves an entry to the end.
        var copy = new Dictionary<string, string>(map.Where(e => e.Key != blob), StringComparer.Ordinal) { [blob] = digest };
        return copy.Count <= MaxEntries ? copy : copy.Skip(copy.Count - MaxEntries).ToDictionary(StringComparer.Ordinal);
    }
}
