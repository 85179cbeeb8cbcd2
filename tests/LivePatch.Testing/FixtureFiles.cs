using System.Text.RegularExpressions;

namespace LivePatch.Testing;

/// <summary>The kernel-tool fixtures (tests/fixtures, copied beside every test assembly) and what the
/// <c>readelf</c> and <c>modinfo</c> outputs recorded beside them say.</summary>
public static partial class FixtureFiles
{
    /// <summary>The fixtures folder in the test output.</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "fixtures");

    /// <summary>A path under the fixtures folder, e.g. <c>PathOf("modules", "lp_sample.ko")</c>.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The bytes of a fixture file.</summary>
    public static byte[] Bytes(params string[] parts) => File.ReadAllBytes(PathOf(parts));

    /// <summary>The bytes of a module under fixtures/modules.</summary>
    public static byte[] Module(string name) => Bytes("modules", name);

    /// <summary>Every "Build ID:" line of the <c>readelf -n</c> output recorded beside a fixture.</summary>
    public static IReadOnlyList<string> ReadelfBuildIds(params string[] parts) =>
        BuildIdLine().Matches(File.ReadAllText(PathOf(parts) + ".readelf.txt")).Select(m => m.Groups[1].Value).ToList();

    /// <summary>The first "Build ID:" that <c>readelf -n</c> printed for a fixture, or "" if it printed none.</summary>
    public static string ReadelfBuildId(params string[] parts) => ReadelfBuildIds(parts).FirstOrDefault() ?? "";

    /// <summary>The <c>key: value</c> lines <c>modinfo</c> printed for a module fixture (first value of each key).</summary>
    public static IReadOnlyDictionary<string, string> Modinfo(string module) =>
        ParseModinfo(File.ReadAllLines(PathOf("modules", module) + ".modinfo.txt"));

    /// <summary>One field of the <c>modinfo</c> output recorded beside a module fixture (first line with that key), or null.</summary>
    public static string? Modinfo(string module, string key) => Modinfo(module).GetValueOrDefault(key);

    /// <summary>The <c>key: value</c> lines of <c>modinfo</c> output (first value of each key; indented continuation lines skipped).</summary>
    public static IReadOnlyDictionary<string, string> ParseModinfo(IEnumerable<string> lines)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && !char.IsWhiteSpace(line[0]))
            {
                fields.TryAdd(line[..colon], line[(colon + 1)..].Trim());
            }
        }

        return fields;
    }

    [GeneratedRegex(@"Build ID: ([0-9a-f]+)")]
    private static partial Regex BuildIdLine();
}
