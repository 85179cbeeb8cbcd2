using System.Diagnostics.CodeAnalysis;

namespace LivePatch.Core.Kernel;

/// <summary>A GNU build ID (NT_GNU_BUILD_ID descriptor) as lowercase hex: 8 to 64 bytes, 20 for kernels (SHA-1).</summary>
public readonly record struct BuildId : ISpanParsable<BuildId>
{
    public const int MinBytes = 8;
    public const int MaxBytes = 64;

    private readonly string? _hex;

    private BuildId(string hex) => _hex = hex;

    /// <summary>The lowercase hex form, as <c>readelf -n</c> prints it.</summary>
    public string Hex => _hex ?? "";

    public static BuildId FromBytes(ReadOnlySpan<byte> bytes)
    {
        LivePatchFormatException.ThrowUnless(bytes.Length is >= MinBytes and <= MaxBytes, ErrorCodes.BuildIdInvalid,
            $"A build ID has {MinBytes} to {MaxBytes} bytes; this one has {bytes.Length}.");
        return new BuildId(Convert.ToHexStringLower(bytes));
    }

    /// <summary>Parses hex (either case); throws <see cref="LivePatchFormatException"/> with a message naming what is wrong.</summary>
    public static BuildId Parse(string text) => Parse(text, null);

    public static BuildId Parse(string s, IFormatProvider? provider) =>
        TryParse(s, out var id, out var problem) ? id : throw new LivePatchFormatException(ErrorCodes.BuildIdInvalid, problem);

    public static BuildId Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s.ToString(), provider);

    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out BuildId result) =>
        TryParse(s, out result, out _);

    public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out BuildId result) =>
        TryParse(s.ToString(), out result, out _);

    public static bool TryParse([NotNullWhen(true)] string? s, out BuildId result) => TryParse(s, out result, out _);

    private static bool TryParse(string? s, out BuildId result, out string problem)
    {
        result = default;
        if (string.IsNullOrEmpty(s))
        {
            problem = "The build ID is empty.";
            return false;
        }

        if (s.Length % 2 != 0 || s.Length < MinBytes * 2 || s.Length > MaxBytes * 2)
        {
            problem = $"Build ID '{Shorten(s)}' has {s.Length} characters; expected an even number from {MinBytes * 2} to {MaxBytes * 2} hex digits.";
            return false;
        }

        var bad = s.AsSpan().IndexOfAnyExcept("0123456789abcdefABCDEF");
        if (bad >= 0)
        {
            problem = $"Build ID '{Shorten(s)}' has a character that is not a hex digit at position {bad}.";
            return false;
        }

        problem = "";
        result = new BuildId(s.ToLowerInvariant());
        return true;
    }

    private static string Shorten(string s) => s.Length <= 140 ? s : s[..140] + "…";

    public override string ToString() => Hex;
}
