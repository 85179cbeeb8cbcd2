using System.Text.RegularExpressions;

namespace LivePatch.Core.Mirrors;

/// <summary>What a file of the read tree is.</summary>
public enum MirrorFileKind
{
    Index,
    CoverageBin,
    Manifest,
    Blob,
}

/// <summary>Recognises the paths of the read tree (<see cref="MirrorTree"/>) in names that come from outside: a bundle's
/// entries, a listing of a target. Anything else is not part of a tree.</summary>
/// <remarks>Channels follow the server's rule (1-32 of a-z, 0-9, '-', not starting with '-'), build IDs are 16-128
/// lowercase hex digits (8-64 bytes), prefixes two and SHA-256 sums 64: none can hold a '/', '.' or anything a file
/// system or bucket would read specially.</remarks>
public static partial class MirrorTreePath
{
    /// <summary>The kind of file <paramref name="path"/> names, or null when it is not a path of the tree.</summary>
    public static MirrorFileKind? KindOf(string path)
    {
        if (path == MirrorTree.IndexPath)
        {
            return MirrorFileKind.Index;
        }

        var match = TreePath().Match(path);
        if (!match.Success)
        {
            return null;
        }

        return match.Groups["kind"].Value switch
        {
            "coverage" when match.Groups["name"].Length == 2 => MirrorFileKind.CoverageBin,
            "manifests" when match.Groups["name"].Length is >= 16 and <= 128 && match.Groups["name"].Length % 2 == 0 => MirrorFileKind.Manifest,
            "blobs" when match.Groups["channel"].Value == "sha256" && match.Groups["name"].Length == 64 => MirrorFileKind.Blob,
            _ => null,
        };
    }

    [GeneratedRegex("^v1/(?<kind>coverage|manifests|blobs)/(?<channel>[a-z0-9][a-z0-9-]{0,31})/(?<name>[0-9a-f]{2,128})$", RegexOptions.CultureInvariant)]
    private static partial Regex TreePath();
}
