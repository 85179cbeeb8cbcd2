namespace LivePatch.Core;

/// <summary>Input bytes that do not have the expected format; <see cref="Code"/> is stable and documented.</summary>
/// <remarks>
/// Every parser in Core throws this (and only this) for malformed input, so callers can map it to an
/// exit code or a ProblemDetails without catching unrelated exceptions. Messages say what and where.
/// </remarks>
public sealed class LivePatchFormatException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>Throws with <paramref name="code"/> unless <paramref name="condition"/> holds.</summary>
    public static void ThrowUnless(bool condition, string code, string message)
    {
        if (!condition)
        {
            throw new LivePatchFormatException(code, message);
        }
    }
}
