using System.Buffers.Binary;
using LivePatch.Core.Elf;

namespace LivePatch.Core.Tests.Elf;

public sealed class ElfNoteTests
{
    [Fact]
    public void ParseSequence_CapturedSysKernelNotes_ReadsEveryOwnerInOrder()
    {
        var notes = ElfNote.ParseSequence(FixtureFiles.Bytes("notes", "sys-kernel-notes.bin"), littleEndian: true);

        // The same owners, in the same order, as readelf -n prints for the notes wrapped in an ELF.
        var readelf = File.ReadLines(FixtureFiles.PathOf("notes", "notes-elf64-le.o") + ".readelf.txt")
            .Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l.Contains("0x", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0])
            .ToList();
        Assert.Equal(readelf, notes.Select(n => n.Name).ToList());
    }

    [Fact]
    public void ParseSequence_DescriptorLongerThanData_ThrowsNoteMalformed()
    {
        var bytes = FixtureFiles.Bytes("notes", "sys-kernel-notes.bin");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 4096);

        var e = Assert.Throws<LivePatchFormatException>(() => ElfNote.ParseSequence(bytes, true));
        Assert.Equal(ErrorCodes.NoteMalformed, e.Code);
        Assert.Contains("offset 0", e.Message);
    }

    [Fact]
    public void ParseSequence_NameWithoutNul_ThrowsNoteMalformed()
    {
        var bytes = FixtureFiles.Bytes("notes", "sys-kernel-notes.bin");
        bytes[15] = (byte)'X'; // the NUL of "GNU\0"

        var e = Assert.Throws<LivePatchFormatException>(() => ElfNote.ParseSequence(bytes, true));
        Assert.Equal(ErrorCodes.NoteMalformed, e.Code);
    }

    [Fact]
    public void ParseSequence_TrailingZeroPadding_IsIgnored()
    {
        var bytes = FixtureFiles.Bytes("notes", "sys-kernel-notes.bin");
        var padded = bytes.Concat(new byte[8]).ToArray();

        Assert.Equal(ElfNote.ParseSequence(bytes, true).Count, ElfNote.ParseSequence(padded, true).Count);
    }

    [Fact]
    public void ParseSequence_TrailingGarbageShorterThanHeader_ThrowsNoteMalformed()
    {
        var bytes = FixtureFiles.Bytes("notes", "sys-kernel-notes.bin").Concat(new byte[] { 1, 2, 3 }).ToArray();

        var e = Assert.Throws<LivePatchFormatException>(() => ElfNote.ParseSequence(bytes, true));
        Assert.Equal(ErrorCodes.NoteMalformed, e.Code);
    }
}
