using System.Formats.Tar;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Mirrors.Bundles;
using ZstdSharp;

namespace LivePatch.Core.Tests.Mirrors;

public sealed class BundleExtractorTests : IDisposable
{
    private const string Manifest = "v1/manifests/stable/4a5a9b0affb66c437abcd455d2738af879985fa9";
    private static readonly string Blob = MirrorTree.BlobPath(new string('a', 64));
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-bundle-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ExtractAsync_WhatTheWriterWrote_UnpacksTheSameFiles()
    {
        var bundle = await WriteBundleAsync((Blob, "module"u8.ToArray()), (Manifest, "manifest"u8.ToArray()), (MirrorTree.IndexPath, "index"u8.ToArray()));

        var contents = await ExtractAsync(File.ReadAllBytes(bundle));

        Assert.Equal(3, contents.Entries);
        Assert.Equal("module"u8.Length + "manifest"u8.Length + "index"u8.Length, contents.Bytes);
        Assert.Equal("manifest"u8.ToArray(), File.ReadAllBytes(Path.Combine(contents.Directory, Manifest)));
        Assert.Equal("module"u8.ToArray(), File.ReadAllBytes(Path.Combine(contents.Directory, Blob)));
    }

    [Fact]
    public async Task WriteAsync_SameContentTwice_SameBytes()
    {
        var first = File.ReadAllBytes(await WriteBundleAsync((Manifest, "m"u8.ToArray()), (MirrorTree.IndexPath, "i"u8.ToArray())));
        var second = File.ReadAllBytes(await WriteBundleAsync((Manifest, "m"u8.ToArray()), (MirrorTree.IndexPath, "i"u8.ToArray())));

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task DisposeAsync_WithoutComplete_LeavesNoBundle()
    {
        var path = Path.Combine(_root, "cut.tar.zst");
        await using (var writer = new BundleWriter(path))
        {
            await writer.WriteAsync(Manifest, new MemoryStream("m"u8.ToArray()), 1, CancellationToken.None);
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task ExtractAsync_CutAnywhere_IsRefusedAsCorruptOrWithoutIndex()
    {
        var bytes = File.ReadAllBytes(await WriteBundleAsync((Blob, new byte[5000]), (Manifest, new byte[300]), (MirrorTree.IndexPath, new byte[100])));

        foreach (var length in new[] { 0, 4, 20, bytes.Length / 3, bytes.Length / 2, bytes.Length - 10, bytes.Length - 1 })
        {
            var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => ExtractAsync(bytes[..length]));
            Assert.Contains(error.Code, new[] { "bundle-corrupt", "bundle-index-missing" });
        }
    }

    [Fact]
    public async Task ExtractAsync_AByteChangedAnywhere_IsRefused()
    {
        var random = new Random(7);
        var module = new byte[20_000];
        random.NextBytes(module); // incompressible, so most of the file is this entry's data
        var bytes = File.ReadAllBytes(await WriteBundleAsync((Blob, module), (Manifest, new byte[300]), (MirrorTree.IndexPath, new byte[100])));

        foreach (var position in new[] { 20, bytes.Length / 4, bytes.Length / 2, bytes.Length * 3 / 4, bytes.Length - 6 })
        {
            var damaged = bytes.ToArray();
            damaged[position] ^= 0x20;
            var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => ExtractAsync(damaged));
            Assert.StartsWith("bundle-", error.Code);
        }
    }

    [Fact]
    public async Task ExtractAsync_NotZstd_IsCorrupt()
    {
        var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => ExtractAsync("this is not a bundle at all"u8.ToArray()));

        Assert.Equal("bundle-corrupt", error.Code);
    }

    [Theory]
    [InlineData("../escaped")]
    [InlineData("v1/blobs/sha256/../../../escaped")]
    [InlineData("/etc/escaped")]
    [InlineData("v1/manifests/Stable/4a5a9b0affb66c437abcd455d2738af879985fa9")]
    [InlineData("v1/manifests/stable/4A5A9B0AFFB66C43")]
    [InlineData("v1/coverage/stable/4a5")]
    [InlineData("v1/index/extra")]
    public async Task ExtractAsync_NameOutsideTheTree_IsRefusedAndNothingEscapes(string name)
    {
        var bundle = Craft(w => w.WriteEntry(Entry(name, "x"u8.ToArray())));

        var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => ExtractAsync(bundle));

        Assert.Equal("bundle-entry-invalid", error.Code);
        Assert.False(File.Exists(Path.Combine(_root, "escaped")));
        Assert.False(File.Exists("/etc/escaped"));
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink)]
    [InlineData(TarEntryType.HardLink)]
    [InlineData(TarEntryType.Directory)]
    public async Task ExtractAsync_LinkOrFolder_IsRefused(TarEntryType type)
    {
        var entry = new PaxTarEntry(type, Manifest);
        if (type != TarEntryType.Directory)
        {
            entry.LinkName = "/etc/shadow";
        }

        var bundle = Craft(w => w.WriteEntry(entry));

        var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => ExtractAsync(bundle));

        Assert.Equal("bundle-entry-invalid", error.Code);
        Assert.False(File.Exists(Path.Combine(_root, "staging", Manifest)));
    }

    [Fact]
    public async Task ExtractAsync_NameTwice_IsRefused()
    {
        var bundle = Craft(w =>
        {
            w.WriteEntry(Entry(Manifest, "first"u8.ToArray()));
            w.WriteEntry(Entry(Manifest, "second"u8.ToArray()));
        });

        var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => ExtractAsync(bundle));

        Assert.Equal("bundle-entry-invalid", error.Code);
    }

    [Fact]
    public async Task ExtractAsync_OverTheCaps_IsTooLarge()
    {
        var bundle = Craft(w =>
        {
            w.WriteEntry(Entry(Blob, new byte[2000]));
            w.WriteEntry(Entry(Manifest, new byte[200]));
            w.WriteEntry(Entry(MirrorTree.IndexPath, new byte[10]));
        });

        foreach (var limits in new[]
        {
            new BundleLimits { MaxBlobBytes = 1999 },
            new BundleLimits { MaxDocumentBytes = 199 },
            new BundleLimits { MaxEntries = 2 },
            new BundleLimits { MaxTotalBytes = 2100 },
        })
        {
            var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => ExtractAsync(bundle, limits));
            Assert.Equal("bundle-too-large", error.Code);
        }

        Assert.Equal(3, (await ExtractAsync(bundle, new BundleLimits { MaxBlobBytes = 2000, MaxEntries = 3, MaxTotalBytes = 2210 })).Entries);
    }

    [Fact]
    public async Task ExtractAsync_NoIndex_IsRefused()
    {
        var bundle = Craft(w => w.WriteEntry(Entry(Manifest, "m"u8.ToArray())));

        var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => ExtractAsync(bundle));

        Assert.Equal("bundle-index-missing", error.Code);
    }

    private async Task<BundleContents> ExtractAsync(byte[] bundle, BundleLimits? limits = null)
    {
        var staging = Path.Combine(_root, "staging");
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        Directory.CreateDirectory(staging);
        return await BundleExtractor.ExtractAsync(new MemoryStream(bundle), staging, limits ?? new BundleLimits(), null, CancellationToken.None);
    }

    private async Task<string> WriteBundleAsync(params (string Path, byte[] Bytes)[] files)
    {
        var path = Path.Combine(_root, $"{Guid.NewGuid():N}.tar.zst");
        await using var writer = new BundleWriter(path);
        foreach (var (name, bytes) in files)
        {
            await writer.WriteAsync(name, new MemoryStream(bytes), bytes.Length, CancellationToken.None);
        }

        await writer.CompleteAsync(CancellationToken.None);
        return path;
    }

    private static PaxTarEntry Entry(string name, byte[] bytes) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) };

    // A bundle the writer would never make, for the importer's refusals.
    private static byte[] Craft(Action<TarWriter> entries)
    {
        var output = new MemoryStream();
        using (var zstd = new CompressionStream(output, 3, leaveOpen: true))
        using (var tar = new TarWriter(zstd, TarEntryFormat.Pax, leaveOpen: true))
        {
            entries(tar);
        }

        return output.ToArray();
    }
}
