using System.Globalization;
using System.Text;

namespace LivePatch.Client;

/// <summary>Makes text that came from a repository (names, descriptions, CVE ids, problem details, URLs) safe to
/// print on a terminal: nothing in it can move the cursor, recolour, retitle the window or reorder what follows.</summary>
/// <remarks>
/// A repository or mirror is not trusted, and a terminal acts on what it is sent: ESC starts a control sequence
/// (CSI, OSC 52 writes the clipboard), C1 controls such as U+009B are CSI on their own on many terminals, and the
/// Unicode bidi controls make text read differently from how it is stored (CVE-2021-42574, "Trojan Source").
/// Each becomes a visible escape, so a field is always shown whole, on one line, as exactly what was sent.
/// </remarks>
public static class DisplayText
{
    /// <summary>The longest text <see cref="Escape(string)"/> returns, "…" included: a field is not a place for a novel.</summary>
    public const int MaxLength = 4096;

    /// <summary><paramref name="text"/> with every control and bidi character as <c>\xHH</c> or <c>\uHHHH</c>, a
    /// backslash as <c>\\</c>, cut to <see cref="MaxLength"/> characters with "…" at the end when longer.</summary>
    public static string Escape(string text) => Escape(text, MaxLength);

    /// <summary>As <see cref="Escape(string)"/>, cut to <paramref name="maxLength"/> characters ("…" included).</summary>
    public static string Escape(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var builder = new StringBuilder(Math.Min(text.Length, maxLength));
        var cut = 0; // where to cut so that "…" still fits: always between two whole pieces, never inside an escape or a pair
        for (var i = 0; i < text.Length; i++)
        {
            i = AppendPiece(builder, text, i);
            var more = i < text.Length - 1;
            if (builder.Length > maxLength || (builder.Length == maxLength && more))
            {
                builder.Length = cut;
                return builder.Append('…').ToString();
            }

            if (builder.Length <= maxLength - 1)
            {
                cut = builder.Length;
            }
        }

        return builder.ToString();
    }

    /// <summary>True for the control, bidi and separator characters <see cref="Escape(string)"/> shows as escapes.</summary>
    private static bool IsControlOrBidi(char c) => c switch
    {
        < ' ' or '\u007f' => true,                                      // C0 controls (\n and \t too: one field, one line) and DEL
        >= '\u0080' and <= '\u009f' => true,                            // C1 controls (U+009B is CSI)
        '\u061c' or '\u200e' or '\u200f' => true,                       // ALM, LRM, RLM
        >= '\u202a' and <= '\u202e' => true,                            // LRE, RLE, PDF, LRO, RLO
        >= '\u2066' and <= '\u2069' => true,                            // LRI, RLI, FSI, PDI
        '\u2028' or '\u2029' => true,                                   // line and paragraph separators
        _ => false,
    };

    /// <summary>Appends the piece that starts at <paramref name="i"/> and returns the index of its last character
    /// (a surrogate pair is one piece; a lone surrogate is escaped, as a terminal cannot show it).</summary>
    private static int AppendPiece(StringBuilder builder, string text, int i)
    {
        var c = text[i];
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            builder.Append(c).Append(text[i + 1]);
            return i + 1;
        }

        if (c == '\\')
        {
            builder.Append(@"\\");
        }
        else if (c < '\u0080' && IsControlOrBidi(c))
        {
            builder.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
        }
        else if (IsControlOrBidi(c) || char.IsSurrogate(c))
        {
            builder.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        else
        {
            builder.Append(c);
        }

        return i;
    }
}
