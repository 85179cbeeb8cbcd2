using System.Buffers.Binary;

namespace LivePatch.Core.Elf;

/// <summary>A bounds-checked view of an ELF file's header, section headers and program headers.</summary>
/// <remarks>
/// Follows the System V gABI (include/uapi/linux/elf.h for the constants). Both classes and byte orders
/// are read, because a vmlinux of any architecture may be inspected on any host. Every offset and
/// count from the file is checked against the buffer before use; nothing is allocated from an
/// unchecked length. Reading is linear in the file: counts and name lengths are capped below, section
/// contents may not overlap (so per-section work sums to at most the file), and sections that share a
/// name offset share one string.
/// </remarks>
public sealed class ElfImage
{
    public const ushort TypeRelocatable = 1;       // ET_REL: what every kernel module is
    public const uint SectionTypeNote = 7;         // SHT_NOTE
    public const uint SegmentTypeNote = 4;         // PT_NOTE
    private const ushort SectionIndexExtended = 0xffff; // SHN_XINDEX
    private const ushort ProgramHeaderCountExtended = 0xffff; // PN_XNUM: the real count is in section 0's sh_info

    /// <summary>Section headers read at most: kpatch modules have a few thousand (one per changed function and its
    /// relocations); 65,535 is all a 16-bit e_shnum can state, and extended numbering (e_shnum 0) up to the same.</summary>
    public const int MaxSections = 65_535;

    /// <summary>Program headers read at most: executables and vmlinux have about a dozen; only core dumps use PN_XNUM.</summary>
    public const int MaxSegments = 4_096;

    /// <summary>Longest section name in bytes: the kernel's own are short (.rela.text.&lt;function&gt;,
    /// .klp.rela.&lt;object&gt;.&lt;section&gt;); a longer one is elf-malformed, not a string to allocate.</summary>
    public const int MaxSectionNameLength = 256;

    private readonly ReadOnlyMemory<byte> _data;

    private ElfImage(ReadOnlyMemory<byte> data, ElfHeader header)
    {
        _data = data;
        Header = header;
    }

    public ElfHeader Header { get; }

    public bool Is64Bit => Header.Is64Bit;

    public bool IsLittleEndian => Header.IsLittleEndian;

    public bool IsRelocatable => Header.Type == TypeRelocatable;

    /// <summary>The size of the file in bytes.</summary>
    public int Length => _data.Length;

    public IReadOnlyList<ElfSection> Sections { get; private set; } = [];

    public IReadOnlyList<ElfSegment> Segments { get; private set; } = [];

    /// <summary>Parses <paramref name="data"/>; throws <see cref="LivePatchFormatException"/> if it is not a well-formed ELF file.</summary>
    public static ElfImage Parse(ReadOnlyMemory<byte> data)
    {
        var header = ElfHeader.Parse(data.Span);
        var image = new ElfImage(data, header);
        image.Sections = image.ReadSections();
        image.Segments = image.ReadSegments();
        return image;
    }

    /// <summary>The file bytes a section occupies (empty for SHT_NOBITS).</summary>
    public ReadOnlyMemory<byte> SectionData(ElfSection section) =>
        section.Type == 8 /* SHT_NOBITS */ ? ReadOnlyMemory<byte>.Empty : _data.Slice((int)section.Offset, (int)section.Size);

    public ReadOnlyMemory<byte> SegmentData(ElfSegment segment) => _data.Slice((int)segment.Offset, (int)segment.FileSize);

    public ElfSection? FindSectionOrNull(string name) => Sections.FirstOrDefault(s => s.Name == name);

    private List<ElfSection> ReadSections()
    {
        var h = Header;
        if (h.SectionHeaderOffset == 0)
        {
            return [];
        }

        // With 65280 sections or more, e_shnum is 0 and the real count is section 0's sh_size;
        // e_shstrndx is SHN_XINDEX and the real index is section 0's sh_link (gABI "Sections").
        CheckNotInHeader(h.SectionHeaderOffset, "section header table");
        var first = ReadSectionHeader(0, h.SectionHeaderOffset, h.SectionHeaderSize);
        ulong count = h.SectionCount == 0 ? first.Size : h.SectionCount;
        uint nameIndex = h.SectionNameIndex == SectionIndexExtended ? first.Link : h.SectionNameIndex;
        LivePatchFormatException.ThrowUnless(count <= MaxSections, ErrorCodes.ElfMalformed,
            $"ELF declares {count} sections, more than the limit of {MaxSections}.");
        CheckTable(h.SectionHeaderOffset, h.SectionHeaderSize, count, "section header table");

        var raw = new List<ElfSection>((int)count);
        for (var i = 0; i < (int)count; i++)
        {
            var section = i == 0 ? first : ReadSectionHeader(i, h.SectionHeaderOffset, h.SectionHeaderSize);
            if (section.Type != 8 /* SHT_NOBITS */)
            {
                CheckRange(section.Offset, section.Size, "section", i);
            }

            raw.Add(section);
        }

        CheckNoOverlap(raw);
        return nameIndex == 0 || nameIndex >= raw.Count ? raw : WithNames(raw, SectionData(raw[(int)nameIndex]).Span);
    }

    /// <summary>Resolves every section's name; sections naming the same offset share one string, so the strings
    /// allocated are bounded by the headers (each name at most <see cref="MaxSectionNameLength"/>), never by sections × table.</summary>
    private static List<ElfSection> WithNames(List<ElfSection> raw, ReadOnlySpan<byte> names)
    {
        var byOffset = new Dictionary<uint, string>();
        for (var i = 0; i < raw.Count; i++)
        {
            var s = raw[i];
            if (!byOffset.TryGetValue(s.NameOffset, out var name))
            {
                name = ElfStrings.Read(names, s.NameOffset, MaxSectionNameLength, "name of section", s.Index);
                byOffset.Add(s.NameOffset, name);
            }

            raw[i] = s with { Name = name };
        }

        return raw;
    }

    /// <summary>In a relocatable object or a linked file each section's bytes are its own (gABI "Sections"):
    /// refusing overlaps keeps the total work of reading every section's contents within the file size.</summary>
    private static void CheckNoOverlap(List<ElfSection> sections)
    {
        var occupied = sections.Where(s => s.Type != 8 /* SHT_NOBITS */ && s.Size > 0).OrderBy(s => s.Offset).ToList();
        for (var i = 1; i < occupied.Count; i++)
        {
            var (previous, current) = (occupied[i - 1], occupied[i]);
            LivePatchFormatException.ThrowUnless(current.Offset >= previous.Offset + previous.Size, ErrorCodes.ElfMalformed,
                $"ELF section {current.Index} at offset {current.Offset} overlaps section {previous.Index} " +
                $"({previous.Offset} to {previous.Offset + previous.Size}).");
        }
    }

    private ElfSection ReadSectionHeader(int index, ulong tableOffset, ushort entrySize)
    {
        var minimum = Is64Bit ? 64 : 40;
        LivePatchFormatException.ThrowUnless(entrySize >= minimum, ErrorCodes.ElfMalformed,
            $"ELF e_shentsize {entrySize} is smaller than a {(Is64Bit ? 64 : 32)}-bit section header ({minimum}).");
        var offset = tableOffset + ((ulong)index * entrySize);
        CheckRange(offset, (ulong)minimum, "section header", index);
        var span = _data.Span.Slice((int)offset, minimum);
        var r = new ElfFieldReader(span, IsLittleEndian);
        return Is64Bit
            ? new ElfSection(index, r.U32(0), r.U32(4), r.U64(8), r.U64(24), r.U64(32), r.U32(40), r.U64(48))
            : new ElfSection(index, r.U32(0), r.U32(4), r.U32(8), r.U32(16), r.U32(20), r.U32(24), r.U32(32));
    }

    private List<ElfSegment> ReadSegments()
    {
        var h = Header;
        if (h.ProgramHeaderOffset == 0 || h.ProgramHeaderCount == 0)
        {
            return [];
        }

        LivePatchFormatException.ThrowUnless(h.ProgramHeaderCount != ProgramHeaderCountExtended, ErrorCodes.ElfUnsupported,
            "ELF e_phnum is PN_XNUM (extended program header numbering, used by core dumps); it is not read.");
        LivePatchFormatException.ThrowUnless(h.ProgramHeaderCount <= MaxSegments, ErrorCodes.ElfMalformed,
            $"ELF declares {h.ProgramHeaderCount} program headers, more than the limit of {MaxSegments}.");
        CheckNotInHeader(h.ProgramHeaderOffset, "program header table");

        var minimum = Is64Bit ? 56 : 32;
        LivePatchFormatException.ThrowUnless(h.ProgramHeaderSize >= minimum, ErrorCodes.ElfMalformed,
            $"ELF e_phentsize {h.ProgramHeaderSize} is smaller than a program header ({minimum}).");
        CheckTable(h.ProgramHeaderOffset, h.ProgramHeaderSize, h.ProgramHeaderCount, "program header table");
        var segments = new List<ElfSegment>(h.ProgramHeaderCount);
        for (var i = 0; i < h.ProgramHeaderCount; i++)
        {
            var span = _data.Span.Slice((int)(h.ProgramHeaderOffset + ((ulong)i * h.ProgramHeaderSize)), minimum);
            var r = new ElfFieldReader(span, IsLittleEndian);
            var segment = Is64Bit
                ? new ElfSegment(i, r.U32(0), r.U64(8), r.U64(32), r.U64(48))
                : new ElfSegment(i, r.U32(0), r.U32(4), r.U32(16), r.U32(28));
            CheckRange(segment.Offset, segment.FileSize, "program header", i);
            segments.Add(segment);
        }

        return segments;
    }

    /// <summary>A header table starts after the ELF header (gABI: e_ehsize bytes); one inside it is malformed.</summary>
    private void CheckNotInHeader(ulong offset, string what)
    {
        var headerSize = Is64Bit ? 64UL : 52UL;
        LivePatchFormatException.ThrowUnless(offset >= headerSize, ErrorCodes.ElfMalformed,
            $"ELF {what} at offset {offset} overlaps the {headerSize}-byte ELF header.");
    }

    private void CheckTable(ulong offset, ulong entrySize, ulong count, string what)
    {
        // Each factor is below 2^32 here (count is at most a u32 sh_size for the table to fit), so no overflow.
        LivePatchFormatException.ThrowUnless(count <= (ulong)_data.Length && entrySize <= (ulong)_data.Length,
            ErrorCodes.ElfTruncated, $"ELF {what}: {count} entries of {entrySize} bytes do not fit in {_data.Length} bytes.");
        CheckRange(offset, entrySize * count, what);
    }

    /// <summary>Throws unless <paramref name="size"/> bytes at <paramref name="offset"/> are inside the file; <paramref name="what"/> and
    /// <paramref name="index"/> (-1: none) name them in the message.</summary>
    private void CheckRange(ulong offset, ulong size, string what, int index = -1)
    {
        var length = (ulong)_data.Length;
        LivePatchFormatException.ThrowUnless(offset <= length && size <= length - offset, ErrorCodes.ElfTruncated,
            $"ELF {what}{(index >= 0 ? $" {index}" : "")} at offset {offset} with size {size} runs past the end of the file ({length} bytes).");
    }
}

/// <summary>One ELF section header; <see cref="Name"/> is resolved from the section name string table.</summary>
public sealed record ElfSection(int Index, uint NameOffset, uint Type, ulong Flags, ulong Offset, ulong Size, uint Link, ulong Alignment)
{
    public string Name { get; init; } = "";
}

/// <summary>One ELF program header (only the fields note lookup needs).</summary>
public sealed record ElfSegment(int Index, uint Type, ulong Offset, ulong FileSize, ulong Alignment);

/// <summary>Reads fixed-offset fields of one ELF structure in the file's byte order.</summary>
internal readonly ref struct ElfFieldReader(ReadOnlySpan<byte> span, bool littleEndian)
{
    private readonly ReadOnlySpan<byte> _span = span;

    public ushort U16(int offset) => littleEndian
        ? BinaryPrimitives.ReadUInt16LittleEndian(_span[offset..])
        : BinaryPrimitives.ReadUInt16BigEndian(_span[offset..]);

    public uint U32(int offset) => littleEndian
        ? BinaryPrimitives.ReadUInt32LittleEndian(_span[offset..])
        : BinaryPrimitives.ReadUInt32BigEndian(_span[offset..]);

    public ulong U64(int offset) => littleEndian
        ? BinaryPrimitives.ReadUInt64LittleEndian(_span[offset..])
        : BinaryPrimitives.ReadUInt64BigEndian(_span[offset..]);
}
