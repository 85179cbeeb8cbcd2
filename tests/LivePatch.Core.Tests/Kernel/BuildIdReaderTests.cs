using System.Buffers.Binary;
using LivePatch.Core.Elf;
using LivePatch.Core.Kernel;

namespace LivePatch.Core.Tests.Kernel;

public sealed class BuildIdReaderTests
{
    [Fact]
    public void FromNoteSequence_CapturedSysKernelNotes_MatchesReadelf()
    {
        var expected = Assert.Single(FixtureFiles.ReadelfBuildIds("notes", "notes-elf64-le.o"));

        var id = BuildIdReader.FromNoteSequence(FixtureFiles.Bytes("notes", "sys-kernel-notes.bin"), littleEndian: true);

        Assert.Equal(expected, id.Hex);
    }

    [Fact]
    public void ReadRunningKernel_FromNotesFile_MatchesReadelf()
    {
        var expected = Assert.Single(FixtureFiles.ReadelfBuildIds("notes", "notes-elf64-le.o"));

        Assert.Equal(expected, BuildIdReader.ReadRunningKernel(FixtureFiles.PathOf("notes", "sys-kernel-notes.bin")).Hex);
    }

    [Theory]
    [InlineData("build-id-elf64-le.o")]
    [InlineData("build-id-elf32-le.o")]
    [InlineData("build-id-elf64-be.o")]
    [InlineData("build-id-elf32-be.o")]
    [InlineData("notes-elf64-le.o")]
    [InlineData("hello-elf64")]
    public void FromElf_Fixture_MatchesReadelf(string file)
    {
        var expected = FixtureFiles.ReadelfBuildIds("notes", file)[0];

        Assert.Equal(expected, BuildIdReader.FromElf(FixtureFiles.Bytes("notes", file)).Hex);
    }

    [Fact]
    public void FromNoteSequence_BigEndianNotes_SkipsOtherOwners()
    {
        var elf = ElfImage.Parse(FixtureFiles.Bytes("notes", "build-id-elf64-be.o"));
        var raw = elf.SectionData(elf.FindSectionOrNull(".notes")!);

        var id = BuildIdReader.FromNoteSequence(raw, littleEndian: false);

        Assert.Equal(FixtureFiles.ReadelfBuildIds("notes", "build-id-elf64-be.o")[0], id.Hex);
    }

    [Fact]
    public void FromElf_NoSectionHeaders_FindsBuildIdInProgramHeaders()
    {
        var bytes = FixtureFiles.Bytes("notes", "hello-elf64");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), 0); // e_shoff
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(60), 0); // e_shnum
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(62), 0); // e_shstrndx

        var elf = ElfImage.Parse(bytes);

        Assert.Empty(elf.Sections);
        Assert.Equal(FixtureFiles.ReadelfBuildIds("notes", "hello-elf64")[0], BuildIdReader.FromElf(elf).Hex);
    }

    [Fact]
    public void FromNoteSequence_NoGnuBuildIdNote_ThrowsBuildIdMissing()
    {
        var bytes = FixtureFiles.Bytes("notes", "sys-kernel-notes.bin");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 99); // the GNU note's type

        var e = Assert.Throws<LivePatchFormatException>(() => BuildIdReader.FromNoteSequence(bytes, true));
        Assert.Equal(ErrorCodes.BuildIdMissing, e.Code);
    }

    [Fact]
    public void FromNoteSequence_BuildIdTooShort_ThrowsBuildIdInvalid()
    {
        var bytes = FixtureFiles.Bytes("notes", "sys-kernel-notes.bin");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 4); // descsz 20 -> 4; the rest reads as more notes

        Assert.Throws<LivePatchFormatException>(() => BuildIdReader.FromNoteSequence(bytes, true));
    }

    [Fact]
    public void ReadRunningKernel_MissingFile_ThrowsIOException() =>
        Assert.ThrowsAny<IOException>(() => BuildIdReader.ReadRunningKernel(FixtureFiles.PathOf("notes", "no-such-file")));
}
