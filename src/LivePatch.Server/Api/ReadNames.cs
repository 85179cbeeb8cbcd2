using LivePatch.Core.Kernel;
using LivePatch.Core.Manifests;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Api;

/// <summary>What names the read paths accept, and the problems they answer, once for the repository and the mirror mode:
/// a host must not be able to tell which one it talks to.</summary>
/// <remarks>Only the canonical lowercase forms name a document, as on a static mirror where paths are case-sensitive;
/// nothing else from a request reaches a file path.</remarks>
public static class ReadNames
{
    public static bool IsChannel(string channel) => RepositoryOptions.IsChannelName(channel);

    public static bool IsBuildId(string buildId) => BuildId.TryParse(buildId, out var id) && id.Hex == buildId;

    public static bool IsPrefix(string prefix) => prefix.Length == CoverageBin.PrefixLength && prefix.All(char.IsAsciiHexDigitLower);

    public static bool IsSha256(string hex) => BlobStore.IsSha256Hex(hex);

    public static RepositoryProblem UnknownChannel(IEnumerable<string> channels) =>
        new(ProblemCodes.UnknownChannel, $"This repository has no channel of that name; it has: {string.Join(", ", channels)}.");

    public static readonly RepositoryProblem BuildIdInvalid = new(ProblemCodes.BuildIdInvalid, "The build ID must be 16 to 128 lowercase hex digits.");

    public static readonly RepositoryProblem PrefixInvalid =
        new(ProblemCodes.PrefixInvalid, "A coverage bin is named by the first two lowercase hex digits of a build ID (00 to ff).");

    public static readonly RepositoryProblem InvalidHash = new(ProblemCodes.InvalidHash, "A blob is named by its SHA-256: 64 lowercase hex digits.");

    public static readonly RepositoryProblem BlobNotFound = new(ProblemCodes.BlobNotFound, "No module with that SHA-256 is stored here.");

    /// <summary>A lookup, never a signature: the kernel's signed coverage bin is what proves "not covered" to a host.</summary>
    public static RepositoryProblem KernelNotCovered(string channel, string buildId) =>
        new(ProblemCodes.KernelNotCovered,
            $"No live patches for this kernel in channel '{channel}'; the signed coverage bin /v1/coverage/{channel}/{CoverageBin.PrefixOf(buildId)} says so.");
}
