using System.ComponentModel.DataAnnotations;
using LivePatch.Core.Mirrors;

namespace LivePatch.Server.Configuration;

/// <summary>The settings of the mirror mode (<c>LivePatch:Mode=mirror</c>), in the <c>LivePatch</c> section; the
/// repository's settings (<see cref="RepositoryOptions"/>) are neither read nor checked in that mode.</summary>
public sealed class MirrorOptions : IValidatableObject
{
    public const string DirectoryKey = RepositoryOptions.Section + ":" + nameof(MirrorDirectory);

    /// <summary>The mirror tree served read-only: the directory <c>lpatch mirror sync</c> writes, holding <c>v1/index</c>.
    /// A relative path is relative to the current directory.</summary>
    public string? MirrorDirectory { get; set; }

    /// <summary>The tree's root, made absolute.</summary>
    public string FullRoot() => Path.TrimEndingDirectorySeparator(Path.GetFullPath(MirrorDirectory!));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrEmpty(MirrorDirectory))
        {
            yield return new($"{DirectoryKey} is required in the mirror mode: the directory a mirror sync writes (holding v1/index).", [nameof(MirrorDirectory)]);
        }
        else if (!Directory.Exists(FullRoot()))
        {
            yield return new($"{DirectoryKey}: '{FullRoot()}' does not exist.", [nameof(MirrorDirectory)]);
        }
        else if (!File.Exists(Path.Combine(FullRoot(), MirrorTree.IndexPath)))
        {
            yield return new($"{DirectoryKey}: '{FullRoot()}' has no {MirrorTree.IndexPath}: it is not a mirror tree, or no sync has finished into it yet.",
                [nameof(MirrorDirectory)]);
        }
    }
}
