namespace LivePatch.Server;

/// <summary>Request input on its way into a log line: control characters (a newline that forges a line, an escape that
/// rewrites a terminal) become <c>\uXXXX</c>, so one request is one line whatever it sends.</summary>
public static class LogText
{
    public static string Printable(string? text)
    {
        if (text is null || !text.Any(IsUnsafe))
        {
            return text ?? "";
        }

        var builder = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            builder.Append(IsUnsafe(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return builder.ToString();
    }

    // Cc (C0, DEL, C1), the line and paragraph separators, and bidirectional overrides that reorder what a reader sees.
    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069';
}
