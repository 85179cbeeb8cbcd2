namespace LivePatch.Core.Elf;

/// <summary>The ELF file header fields this project uses (gABI "ELF Header").</summary>
public sealed record ElfHeader(
    bool Is64Bit,
    bool IsLittleEndian,
    ushort Type,
    ushort Machine,
    ulong ProgramHeaderOffset,
    ulong SectionHeaderOffset,
    ushort ProgramHeaderSize,
    ushort ProgramHeaderCount,
    ushort SectionHeaderSize,
    ushort SectionCount,
    ushort SectionNameIndex)
{
    private static ReadOnlySpan<byte> Magic => [0x7f, (byte)'E', (byte)'L', (byte)'F'];

    /// <summary>Parses the header at the start of <paramref name="data"/>.</summary>
    public static ElfHeader Parse(ReadOnlySpan<byte> data)
    {
        LivePatchFormatException.ThrowUnless(data.Length >= 16 && data[..4].SequenceEqual(Magic), ErrorCodes.ElfBadMagic,
            "Not an ELF file: the first four bytes are not 0x7f 'E' 'L' 'F'.");
        var elfClass = data[4];   // EI_CLASS: 1 = ELFCLASS32, 2 = ELFCLASS64
        var encoding = data[5];   // EI_DATA: 1 = ELFDATA2LSB, 2 = ELFDATA2MSB
        LivePatchFormatException.ThrowUnless(elfClass is 1 or 2, ErrorCodes.ElfUnsupported,
            $"ELF class {elfClass} at offset 4 is neither 1 (32-bit) nor 2 (64-bit).");
        LivePatchFormatException.ThrowUnless(encoding is 1 or 2, ErrorCodes.ElfUnsupported,
            $"ELF data encoding {encoding} at offset 5 is neither 1 (little-endian) nor 2 (big-endian).");
        var is64 = elfClass == 2;
        var size = is64 ? 64 : 52;
        LivePatchFormatException.ThrowUnless(data.Length >= size, ErrorCodes.ElfTruncated,
            $"ELF header needs {size} bytes, the file has {data.Length}.");

        var r = new ElfFieldReader(data, encoding == 1);
        return is64
            ? new ElfHeader(true, encoding == 1, r.U16(16), r.U16(18), r.U64(32), r.U64(40), r.U16(54), r.U16(56), r.U16(58), r.U16(60), r.U16(62))
            : new ElfHeader(false, encoding == 1, r.U16(16), r.U16(18), r.U32(28), r.U32(32), r.U16(42), r.U16(44), r.U16(46), r.U16(48), r.U16(50));
    }
}
