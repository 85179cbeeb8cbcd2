using System.Buffers.Binary;
using LivePatch.Core.Elf;

namespace LivePatch.Core.Tests.Elf;

public sealed class ElfImageTests
{
    [Theory]
    [InlineData("build-id-elf64-le.o", true, true)]
    [InlineData("build-id-elf32-le.o", false, true)]
    [InlineData("build-id-elf64-be.o", true, false)]
    [InlineData("build-id-elf32-be.o", false, false)]
    public void Parse_EachClassAndByteOrder_ReadsHeaderAndNamedSections(string file, bool is64, bool little)
    {
        var elf = ElfImage.Parse(FixtureFiles.Bytes("notes", file));

        Assert.Equal(is64, elf.Is64Bit);
        Assert.Equal(little, elf.IsLittleEndian);
        Assert.True(elf.IsRelocatable);
        var notes = Assert.Single(elf.Sections, s => s.Name == ".notes");
        Assert.Equal(ElfImage.SectionTypeNote, notes.Type);
    }

    [Fact]
    public void Parse_LinkedExecutable_ReadsProgramHeaders()
    {
        var elf = ElfImage.Parse(FixtureFiles.Bytes("notes", "hello-elf64"));

        Assert.False(elf.IsRelocatable);
        Assert.Contains(elf.Segments, s => s.Type == ElfImage.SegmentTypeNote);
    }

    [Fact]
    public void Parse_NotElf_ThrowsBadMagic()
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ElfImage.Parse("#!/bin/sh\necho hi\n"u8.ToArray()));
        Assert.Equal(ErrorCodes.ElfBadMagic, e.Code);
    }

    [Theory]
    [InlineData(3, "elf-bad-magic")]
    [InlineData(20, "elf-truncated")]
    [InlineData(300, "elf-truncated")]
    public void Parse_Truncated_ThrowsWithCode(int length, string code)
    {
        var bytes = FixtureFiles.Bytes("modules", "lp_sample.ko")[..length];

        var e = Assert.Throws<LivePatchFormatException>(() => ElfImage.Parse(bytes));
        Assert.Equal(code, e.Code);
    }

    [Fact]
    public void Parse_SectionTableOffsetPastEnd_ThrowsTruncatedNamingIt()
    {
        var bytes = FixtureFiles.Bytes("modules", "lp_sample.ko");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), (ulong)bytes.Length - 10);

        var e = Assert.Throws<LivePatchFormatException>(() => ElfImage.Parse(bytes));
        Assert.Equal(ErrorCodes.ElfTruncated, e.Code);
        Assert.Contains("section header", e.Message);
    }

    [Fact]
    public void Parse_UnknownClass_ThrowsUnsupported()
    {
        var bytes = FixtureFiles.Bytes("modules", "lp_sample.ko");
        bytes[4] = 3;

        var e = Assert.Throws<LivePatchFormatException>(() => ElfImage.Parse(bytes));
        Assert.Equal(ErrorCodes.ElfUnsupported, e.Code);
    }

    [Fact]
    public void Parse_ExtendedSectionNumbering_ReadsCountAndNameIndexFromSectionZero()
    {
        // What a linker writes for 65280+ sections: e_shnum = 0, e_shstrndx = SHN_XINDEX, the real
        // values in section 0's sh_size and sh_link.
        var bytes = FixtureFiles.Bytes("modules", "lp_sample.ko");
        var expected = ElfImage.Parse(bytes).Sections.Select(s => s.Name).ToList();
        var span = bytes.AsSpan();
        var shoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(span[40..]);
        var shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[60..]);
        var shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(span[62..]);
        BinaryPrimitives.WriteUInt64LittleEndian(span[(shoff + 32)..], shnum);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(shoff + 40)..], shstrndx);
        BinaryPrimitives.WriteUInt16LittleEndian(span[60..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(span[62..], 0xffff);

        var elf = ElfImage.Parse(bytes);

        Assert.Equal(expected, elf.Sections.Select(s => s.Name).ToList());
        Assert.Contains(".modinfo", expected);
    }
}
