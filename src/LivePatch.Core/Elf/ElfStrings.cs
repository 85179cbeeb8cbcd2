using System.Text;

namespace LivePatch.Core.Elf;

/// <summary>NUL-terminated strings out of an ELF string table, each bounded in length.</summary>
internal static class ElfStrings
{
    /// <summary>Reads the string at <paramref name="offset"/>; it must end with a NUL within <paramref name="maxLength"/> bytes.</summary>
    /// <remarks>The search for the NUL stops at the cap, so the work per string is bounded whatever the table holds.</remarks>
    /// <param name="table">The string table.</param>
    /// <param name="offset">Where the string starts in it.</param>
    /// <param name="maxLength">The longest string accepted, in bytes.</param>
    /// <param name="what">What the string is, for the message of a failure ("name of section").</param>
    /// <param name="index">Of the section or symbol <paramref name="what"/> names; -1 for none.</param>
    public static string Read(ReadOnlySpan<byte> table, uint offset, int maxLength, string what, int index = -1)
    {
        if (offset >= (uint)table.Length)
        {
            throw Malformed(what, index, $"string offset {offset} is outside the string table ({table.Length} bytes).");
        }

        var rest = table[(int)offset..];
        var window = rest[..Math.Min(rest.Length, maxLength + 1)];
        var end = window.IndexOf((byte)0);
        if (end < 0)
        {
            throw Malformed(what, index, window.Length > maxLength
                ? $"string at offset {offset} is longer than the limit of {maxLength} bytes."
                : $"string at offset {offset} has no terminating NUL.");
        }

        return Encoding.UTF8.GetString(window[..end]);
    }

    // Formatted only on failure: a module's section names are read by the hundred.
    private static LivePatchFormatException Malformed(string what, int index, string problem) =>
        new(ErrorCodes.ElfMalformed, $"ELF {what}{(index >= 0 ? $" {index}" : "")}: {problem}");
}
