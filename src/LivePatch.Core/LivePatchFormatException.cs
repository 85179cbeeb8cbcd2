namespace LivePatch.Core;

/// <summary>Input bytes that do not have the expected format; <see cref="Error"/> is stable, documented and categorised.</summary>
/// <remarks>
/// Every parser in Core throws this (and only this) for malformed input, so callers can map it to an
/// exit code or a ProblemDetails (through <see cref="ErrorCode.Category"/>) without catching unrelated exceptions.
/// Messages say what and where.
/// </remarks>
public sealed class LivePatchFormatException(ErrorCode error, string message) : Exception(message)
{
    /// <summary>The stable code and its category.</summary>
    public ErrorCode Error { get; } = error;

    /// <summary>The code's spelling, what scripts match on.</summary>
    public string Code => Error.Code;

    /// <summary>Throws with <paramref name="error"/> unless <paramref name="condition"/> holds.</summary>
    public static void ThrowUnless(bool condition, ErrorCode error, string message)
    {
        if (!condition)
        {
            throw new LivePatchFormatException(error, message);
        }
    }
}
