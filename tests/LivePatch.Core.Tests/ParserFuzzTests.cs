using System.Text;
using LivePatch.Core.Elf;
using LivePatch.Core.Kernel;
using LivePatch.Core.Manifests;
using LivePatch.Core.Modules;
using LivePatch.Core.Signing;
using Xunit.Abstractions;

namespace LivePatch.Core.Tests;

/// <summary>Thousands of damaged fixtures through every format parser: only the project's format error may escape;
/// and one amplification case per parser, refused with a format error without allocating beyond a fixed bound.</summary>
public sealed class ParserFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 3000;

    /// <summary>What refusing any amplification case may allocate: a behaviour bound (the naive reader of the
    /// issue's 3 KB module allocated 62 GiB), not a timing test.</summary>
    private const long MaxAllocatedBytes = 64L * 1024 * 1024;

    /// <summary>The output limit for decompression bombs: their cost must stop near it.</summary>
    private const int BombLimit = 8 * 1024 * 1024;

    [Theory]
    [InlineData("modules", "lp_sample.ko")]
    [InlineData("modules", "lp_sample.rsa2048-sha256.ko")]
    [InlineData("modules", "plain.ko")]
    [InlineData("modules", "lp_sample.rsa2048-sha256.ko.gz")]
    [InlineData("modules", "lp_sample.rsa2048-sha256.ko.xz")]
    [InlineData("modules", "lp_sample.rsa2048-sha256.ko.zst")]
    public void ModuleFileRead_MutatedModule_ThrowsOnlyFormatErrors(string folder, string file)
    {
        var original = FixtureFiles.Bytes(folder, file);
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

        foreach (var bytes in mutator.Mutations(FixtureFiles.Bytes("notes", file), Iterations))
        {
            OnlyFormatErrors(() => BuildIdReader.FromElf(bytes));
        }
    }

    [Fact]
    public void FromNoteSequence_MutatedNotes_ThrowsOnlyFormatErrors()
    {
        var mutator = new Mutator(23);

        foreach (var bytes in mutator.Mutations(FixtureFiles.Bytes("notes", "sys-kernel-notes.bin"), Iterations))
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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ModuleFileRead_SectionsSharingTwoMiBName_RefusedWithoutAllocatingGigabytes(bool terminated)
    {
        var module = AmplificationCases.GzipOf(AmplificationCases.ElfSharedLongName(terminated: terminated));
        Assert.True(module.Length < 8 * 1024, $"the gzipped case is {module.Length} bytes");

        RefusedCheaply(() => ModuleFile.Read(module), ErrorCodes.ElfMalformed, $"{module.Length}-byte gzipped ELF, terminated: {terminated}");
    }

    [Fact]
    public void ModuleFileRead_CheckedInIssueFixture_RefusedWithoutAllocatingGigabytes()
    {
        var module = FixtureFiles.Bytes("amplification", "elf-names.ko.gz");

        RefusedCheaply(() => ModuleFile.Read(module), ErrorCodes.ElfMalformed, $"{module.Length}-byte elf-names.ko.gz");
    }

    [Theory]
    [InlineData(65_536UL)]
    [InlineData(ulong.MaxValue)]
    public void ElfImageParse_ExtendedSectionCountBeyondCap_Refused(ulong count)
    {
        var elf = AmplificationCases.ElfDeclaredSectionCount(count);

        RefusedCheaply(() => ElfImage.Parse(elf), ErrorCodes.ElfMalformed);
    }

    [Fact]
    public void FromElf_NoteSegmentsCoveringOneRegion_Refused()
    {
        var elf = AmplificationCases.ElfOverlappingNoteSegments();

        RefusedCheaply(() => BuildIdReader.FromElf(elf), ErrorCodes.ElfMalformed);
    }

    [Fact]
    public void FromNoteSequence_MoreNotesThanCap_Refused()
    {
        var notes = AmplificationCases.ManyEmptyNotes(1_000_000);

        RefusedCheaply(() => BuildIdReader.FromNoteSequence(notes, littleEndian: true), ErrorCodes.NoteMalformed);
    }

    [Fact]
    public void ModInfoParse_EightMiBEntry_Refused()
    {
        var section = AmplificationCases.ModinfoLongEntry(8 * 1024 * 1024);

        RefusedCheaply(() => ModInfo.Parse(section), ErrorCodes.ModinfoMalformed);
    }

    [Fact]
    public void ModInfoParse_MillionEntries_Refused()
    {
        var section = AmplificationCases.ModinfoManyEntries(1_000_000);

        RefusedCheaply(() => ModInfo.Parse(section), ErrorCodes.ModinfoMalformed);
    }

    [Theory]
    [InlineData(0xffff_fff0u, "signature-trailer-invalid")]
    [InlineData(60_000u, "signature-truncated")]
    public void ReadOrNull_TrailerDeclaringHugeCms_Refused(uint sigLen, string code)
    {
        var module = AmplificationCases.SignatureTrailer(sigLen);

        RefusedCheaply(() => ModuleSignatureReader.ReadOrNull(module), code);
    }

    [Fact]
    public void Decompress_GzipBomb_StopsAtLimit()
    {
        var bomb = AmplificationCases.GzipBomb(256 * 1024 * 1024);

        RefusedCheaply(() => ModuleDecompressor.Decompress(bomb, ModuleCompression.Gzip, BombLimit), ErrorCodes.FileTooLarge, $"{bomb.Length}-byte gzip of 256 MiB");
    }

    [Fact]
    public void Decompress_ZstdBombDeclaringItsSize_StopsAtLimit()
    {
        var bomb = AmplificationCases.ZstdBomb(256 * 1024 * 1024);

        RefusedCheaply(() => ModuleDecompressor.Decompress(bomb, ModuleCompression.Zstd, BombLimit), ErrorCodes.FileTooLarge, $"{bomb.Length}-byte zstd of 256 MiB");
    }

    [Fact]
    public void Decompress_ZstdFrameDeclaringHugeWindow_RefusedBeforeAllocatingIt()
    {
        var frame = AmplificationCases.ZstdLargeWindow(30);

        RefusedCheaply(() => ModuleDecompressor.Decompress(frame, ModuleCompression.Zstd, BombLimit), ErrorCodes.DecompressionFailed, "zstd 1 GiB window");
    }

    [Fact]
    public void Decompress_XzDeclaringHugeDictionary_DoesNotAllocateIt()
    {
        // SharpCompress grows the LZMA2 window with the output rather than allocating the declared dictionary;
        // this keeps it that way (xz-utils would need 1537 MiB for this stream).
        var stream = FixtureFiles.Bytes("amplification", "dict-1536MiB.xz");

        var before = GC.GetAllocatedBytesForCurrentThread();
        var plain = ModuleDecompressor.Decompress(stream, ModuleCompression.Xz, BombLimit);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"xz 1.5 GiB dictionary: {plain.Length} bytes out after allocating {allocated / 1024.0 / 1024:F2} MiB");
        Assert.True(allocated < MaxAllocatedBytes, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Decompress_XzBomb_StopsAtLimit()
    {
        var bomb = FixtureFiles.Bytes("amplification", "zeros-64MiB.xz");

        RefusedCheaply(() => ModuleDecompressor.Decompress(bomb, ModuleCompression.Xz, BombLimit), ErrorCodes.FileTooLarge, $"{bomb.Length}-byte xz of 64 MiB");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Deserialize_DeeplyNestedJson_Refused(bool index)
    {
        // A million '[' are a megabyte of input that a recursive reader would follow to the bottom.
        var json = Encoding.ASCII.GetBytes("{\"unknown\":" + new string('[', 1_000_000) + new string(']', 1_000_000) + "}");

        Action parse = index ? () => ManifestSerializer.DeserializeIndex(json) : () => ManifestSerializer.Deserialize(json);
        RefusedCheaply(parse, index ? ErrorCodes.IndexMalformed : ErrorCodes.ManifestMalformed);
    }

    [Theory]
    [InlineData("{\"unknown\":")]
    [InlineData("{\"kernels\":")]
    public void CoverageBinDeserialize_DeeplyNestedJson_Refused(string start)
    {
        // Nested under kernels too: the counting pass reads that array before the deserializer does.
        var json = Encoding.ASCII.GetBytes(start + new string('[', 1_000_000) + new string(']', 1_000_000) + "}");

        RefusedCheaply(() => CoverageBinSerializer.Deserialize(json), ErrorCodes.CoverageMalformed);
    }

    [Fact]
    public void CoverageBinDeserialize_MillionKernels_RefusedBeforeBuildingThem()
    {
        Assert.Single(CoverageBinSerializer.Deserialize(AmplificationCases.CoverageBinManyKernels(1)).Kernels);
        var json = AmplificationCases.CoverageBinManyKernels(1_000_000);

        RefusedCheaply(() => CoverageBinDeserializeChecked(json), ErrorCodes.CoverageMalformed, $"{json.Length}-byte bin of 1,000,000 kernels");
    }

    [Fact]
    public void CoverageBinDeserialize_MutatedJson_ThrowsOnlyFormatErrors()
    {
        var original = CoverageBinSerializer.Serialize(Manifests.SampleCoverageBins.Bin());

        foreach (var bytes in new Mutator(29).Mutations(original, Iterations))
        {
            OnlyFormatErrors(() => CoverageBinSerializer.Deserialize(bytes));
        }
    }

    /// <summary>The million-kernel case must fail on the count, not on something the generator got wrong.</summary>
    private static void CoverageBinDeserializeChecked(byte[] json)
    {
        try
        {
            CoverageBinSerializer.Deserialize(json);
        }
        catch (LivePatchFormatException e)
        {
            Assert.Contains("$.kernels: at most", e.Message, StringComparison.Ordinal);
            throw;
        }
    }

    /// <summary>Asserts <paramref name="parse"/> throws the format error <paramref name="code"/> having allocated
    /// less than <see cref="MaxAllocatedBytes"/> on this thread, and records the figure.</summary>
    private void RefusedCheaply(Action parse, ErrorCode code, string? what = null) => RefusedCheaply(parse, code.Code, what);

    private void RefusedCheaply(Action parse, string code, string? what = null)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<LivePatchFormatException>(parse);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"{what ?? code}: refused [{e.Code}] after allocating {allocated / 1024.0 / 1024:F2} MiB: {e.Message}");
        Assert.Equal(code, e.Code);
        Assert.True(allocated < MaxAllocatedBytes, $"allocated {allocated} bytes before refusing");
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
