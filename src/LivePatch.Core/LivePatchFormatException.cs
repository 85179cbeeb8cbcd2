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

    /// <summary>Throws with <paramref name="error"/> unless <paramref name="condition"/> holds; an interpolated
    /// <paramref name="message"/> is formatted only then.</summary>
    /// <remarks>Parsers check every header, section and field with a message that names it: formatting each one up front
    /// cost more than the parsing (a 7 KB module's ELF checks formatted a few hundred strings).</remarks>
    public static void ThrowUnless(bool condition, ErrorCode error,
        [System.Runtime.CompilerServices.InterpolatedStringHandlerArgument(nameof(condition))] ref FailureMessage message)
    {
        if (!condition)
        {
            throw new LivePatchFormatException(error, message.ToStringAndClear());
        }
    }
}

/// <summary>The message of a check, formatted (invariant culture) only when the check fails: the pattern of
/// <c>Debug.Assert</c>'s handler. Parsers and rules check thousands of fields and almost never fail.</summary>
[System.Runtime.CompilerServices.InterpolatedStringHandler]
public ref struct FailureMessage
{
    private System.Runtime.CompilerServices.DefaultInterpolatedStringHandler _text;

    public FailureMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        _text = shouldAppend ? new(literalLength, formattedCount, System.Globalization.CultureInfo.InvariantCulture) : default;
    }

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

    public string ToStringAndClear() => _text.ToStringAndClear();
}
