namespace LivePatch.Client.Host;

/// <summary>A state or cache path lpatch will not use because another user could control what it holds.</summary>
/// <remarks>
/// lpatch runs as root and loads kernel code chosen from this state, so a link, a foreign owner or a folder others
/// can write is refused rather than repaired: the message names the path, the setting and the command that fixes it.
/// Not an <see cref="IOException"/>, so that code treating I/O errors as "try again later" does not swallow it.
/// </remarks>
public sealed class UnsafePathException(string path, string message) : Exception(message)
{
    /// <summary>Stable code of every refusal of this kind.</summary>
    public const string ErrorCode = "state-path-unsafe";

    public string Code => ErrorCode;

    /// <summary>The path refused.</summary>
    public string Path { get; } = path;
}
