using System.IO.Compression;
using LivePatch.Core.Modules;

namespace LivePatch.Core.Tests.Modules;

public sealed class ModuleFileTests
{
    [Theory]
    [InlineData("lp_sample.rsa2048-sha256.ko.gz", ModuleCompression.Gzip)]
    [InlineData("lp_sample.rsa2048-sha256.ko.xz", ModuleCompression.Xz)]
    [InlineData("lp_sample.rsa2048-sha256.ko.zst", ModuleCompression.Zstd)]
    [InlineData("lp_sample.rsa2048-sha256.ko", ModuleCompression.None)]
    public void Read_CompressedModule_YieldsTheSignedModuleBytes(string file, ModuleCompression compression)
    {
        var module = ModuleFile.Read(FixtureFiles.Bytes("modules", file));

        Assert.Equal(compression, module.Compression);
        Assert.Equal(FixtureFiles.Bytes("modules", "lp_sample.rsa2048-sha256.ko"), module.Bytes.ToArray());
        Assert.True(module.Info.IsLivepatch);
    }

    [Fact]
    public void Read_Module_BuildIdMatchesReadelf()
    {
        var module = ModuleFile.Read(FixtureFiles.Bytes("modules", "lp_sample.ko"));

        Assert.Equal(FixtureFiles.ReadelfBuildIds("modules", "lp_sample.ko")[0], module.BuildId?.Hex);
    }

    [Fact]
    public void Read_Executable_ThrowsNotRelocatable()
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ModuleFile.Read(FixtureFiles.Bytes("notes", "hello-elf64")));
        Assert.Equal(ErrorCodes.ModuleNotRelocatable, e.Code);
    }

    [Fact]
    public void Read_ObjectWithoutModinfo_ThrowsModinfoMissing()
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ModuleFile.Read(FixtureFiles.Bytes("notes", "build-id-elf64-le.o")));
        Assert.Equal(ErrorCodes.ModinfoMissing, e.Code);
    }

    [Theory]
    [InlineData("lp_sample.rsa2048-sha256.ko.gz")]
    [InlineData("lp_sample.rsa2048-sha256.ko.xz")]
    [InlineData("lp_sample.rsa2048-sha256.ko.zst")]
    public void Read_CorruptCompressedStream_ThrowsFormatError(string file)
    {
        var bytes = FixtureFiles.Bytes("modules", file);
        for (var i = 12; i < bytes.Length - 8; i += 7)
        {
            bytes[i] ^= 0x5a;
        }

        var e = Assert.Throws<LivePatchFormatException>(() => ModuleFile.Read(bytes));
        Assert.Contains(e.Error, new[] { ErrorCodes.DecompressionFailed, ErrorCodes.ElfBadMagic, ErrorCodes.ElfTruncated, ErrorCodes.ElfMalformed });
    }

    [Fact]
    public void Read_DecompressesPastLimit_ThrowsFileTooLarge()
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(new byte[4 * 1024 * 1024]);
        }

        var e = Assert.Throws<LivePatchFormatException>(() => ModuleFile.Read(packed.ToArray(), maxBytes: 1024 * 1024));
        Assert.Equal(ErrorCodes.FileTooLarge, e.Code);
    }
}
