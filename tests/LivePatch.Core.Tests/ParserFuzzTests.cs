using LivePatch.Core.Elf;
using LivePatch.Core.Kernel;
using LivePatch.Core.Modules;

namespace LivePatch.Core.Tests;

/// <summary>Thousands of damaged fixtures through every format parser: only the project's format error may escape.</summary>
public sealed class ParserFuzzTests
{
    private const int Iterations = 3000;

    [Theory]
    [InlineData("modules", "lp_sample.ko")]
    [InlineData("modules", "lp_sample.rsa2048-sha256.ko")]
    [InlineData("modules", "plain.ko")]
    [InlineData("modules", "lp_sample.rsa2048-sha256.ko.gz")]
    [InlineData("modules", "lp_sample.rsa2048-sha256.ko.xz")]
    [InlineData("modules", "lp_sample.rsa2048-sha256.ko.zst")]
    public void ModuleFileRead_MutatedModule_ThrowsOnlyFormatErrors(string folder, string file)
    {
        var original = Fixtures.Bytes(folder, file);
        var mutator = new Mutator(file.Sum(c => c)); // stable across runs, unlike string.GetHashCode

        foreach (var bytes in mutator.Mutations(original, Iterations))
        {
            OnlyFormatErrors(() => ModuleFile.Read(bytes, maxBytes: 1 << 20));
        }
    }

    [Theory]
    [InlineData("build-id-elf64-le.o")]
    [InlineData("build-id-elf32-le.o")]
    [InlineData("build-id-elf64-be.o")]
    [InlineData("build-id-elf32-be.o")]
    [InlineData("hello-elf64")]
    public void FromElf_MutatedElf_ThrowsOnlyFormatErrors(string file)
    {
        var mutator = new Mutator(17);

        foreach (var bytes in mutator.Mutations(Fixtures.Bytes("notes", file), Iterations))
        {
            OnlyFormatErrors(() => BuildIdReader.FromElf(bytes));
        }
    }

    [Fact]
    public void FromNoteSequence_MutatedNotes_ThrowsOnlyFormatErrors()
    {
        var mutator = new Mutator(23);

        foreach (var bytes in mutator.Mutations(Fixtures.Bytes("notes", "sys-kernel-notes.bin"), Iterations))
        {
            OnlyFormatErrors(() => BuildIdReader.FromNoteSequence(bytes, littleEndian: true));
            OnlyFormatErrors(() => BuildIdReader.FromNoteSequence(bytes, littleEndian: false));
        }
    }

    [Fact]
    public void ModInfoParse_RandomBytes_ThrowsOnlyFormatErrors()
    {
        var random = new Random(5);
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            OnlyFormatErrors(() => ModInfo.Parse(bytes));
        }
    }

    internal static void OnlyFormatErrors(Action parse)
    {
        try
        {
            parse();
        }
        catch (LivePatchFormatException e)
        {
            Assert.False(string.IsNullOrEmpty(e.Code));
        }
    }
}
