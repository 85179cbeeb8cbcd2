using System.Text;

namespace LivePatch.Core.Elf;

/// <summary>NUL-terminated strings out of an ELF string table.</summary>
internal static class ElfStrings
{
    public static string Read(ReadOnlySpan<byte> table, uint offset, string what)
    {
        LivePatchFormatException.ThrowUnless(offset < (uint)table.Length, ErrorCodes.ElfMalformed,
            $"ELF {what}: string offset {offset} is outside the string table ({table.Length} bytes).");
        var rest = table[(int)offset..];
        var end = rest.IndexOf((byte)0);
        LivePatchFormatException.ThrowUnless(end >= 0, ErrorCodes.ElfMalformed,
            $"ELF {what}: string at offset {offset} has no terminating NUL.");
        return Encoding.UTF8.GetString(rest[..end]);
    }
}
