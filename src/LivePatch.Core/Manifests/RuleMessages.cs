using System.Globalization;
using System.Runtime.CompilerServices;

namespace LivePatch.Core.Manifests;

/// <summary>A field's JSON path (<c>$.kernels[3].sha256</c>), put together only when a message names it: validating a
/// coverage bin or an index walks thousands of fields, and almost never fails.</summary>
internal readonly record struct FieldPath(string Parent, int Index, string Name = "")
{
    public static implicit operator FieldPath(string path) => new(path, -1);

    /// <summary>A field of this element: <c>new FieldPath("$.bins", 2).Field(".sha256")</c> is <c>$.bins[2].sha256</c>.</summary>
    public FieldPath Field(string name) => this with { Name = Name + name };

    public override string ToString() =>
        Index < 0 ? Parent + Name : string.Create(CultureInfo.InvariantCulture, $"{Parent}[{Index}]{Name}");
}

/// <summary>The message of a rule, formatted only when the rule fails (the pattern of <c>Debug.Assert</c>'s handler).</summary>
[InterpolatedStringHandler]
internal ref struct FailureMessage
{
    private DefaultInterpolatedStringHandler _text;

    public FailureMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        _text = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount, CultureInfo.InvariantCulture) : default;
    }

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

    public string ToStringAndClear() => _text.ToStringAndClear();
}
