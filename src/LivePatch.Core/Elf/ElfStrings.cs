using System.Text;

namespace LivePatch.Core.Elf;

/// <summary>NUL-terminated strings out of an ELF string table, each bounded in length.</summary>
internal static class ElfStrings
{
    /// <summary>Reads the string at <paramref name="offset"/>; it must end with a NUL within <paramref name="maxLength"/> bytes.</summary>
    /// <remarks>The search for the NUL stops at the cap, so the work per string is bounded whatever the table holds.</remarks>
    public static string Read(ReadOnlySpan<byte> table, uint offset, int maxLength, string what)
    {
        LivePatchFormatException.ThrowUnless(offset < (uint)table.Length, ErrorCodes.ElfMalformed,
            $"ELF {what}: string offset {offset} is outside the string table ({table.Length} bytes).");
        var rest = table[(int)offset..];
        var window = rest[..Math.Min(rest.Length, maxLength + 1)];
        var end = window.IndexOf((byte)0);
        LivePatchFormatException.ThrowUnless(end >= 0, ErrorCodes.ElfMalformed, window.Length > maxLength
            ? $"ELF {what}: string at offset {offset} is longer than the limit of {maxLength} bytes."
            : $"ELF {what}: string at offset {offset} has no terminating NUL.");
        return Encoding.UTF8.GetString(window[..end]);
    }
}
