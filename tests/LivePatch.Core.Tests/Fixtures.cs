using System.Text.RegularExpressions;

namespace LivePatch.Core.Tests;

/// <summary>Paths to the kernel-tool fixtures (tests/fixtures) and the expected values their tool outputs record.</summary>
internal static partial class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static byte[] Bytes(params string[] parts) => File.ReadAllBytes(PathOf(parts));

    /// <summary>Every "Build ID:" line of the <c>readelf -n</c> output recorded beside a fixture.</summary>
    public static IReadOnlyList<string> ReadelfBuildIds(params string[] parts) =>
        BuildIdLine().Matches(File.ReadAllText(PathOf(parts) + ".readelf.txt")).Select(m => m.Groups[1].Value).ToList();

    /// <summary>One field of the <c>modinfo</c> output recorded beside a fixture (first line with that key).</summary>
    public static string? Modinfo(string module, string key) =>
        File.ReadLines(PathOf("modules", module) + ".modinfo.txt")
            .Select(line => line.Split(':', 2))
            .Where(kv => kv.Length == 2 && kv[0] == key)
            .Select(kv => kv[1].Trim())
            .FirstOrDefault();

    [GeneratedRegex(@"Build ID: ([0-9a-f]+)")]
    private static partial Regex BuildIdLine();
}
