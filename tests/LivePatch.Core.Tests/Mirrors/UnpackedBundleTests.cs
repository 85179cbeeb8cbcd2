using System.Security.Cryptography;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Mirrors.Bundles;

namespace LivePatch.Core.Tests.Mirrors;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UnpackedBundleTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-unpacked-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task UnpackAsync_BlobsMatchingTheirNames_IsASourceOfThem()
    {
        var module = "module bytes"u8.ToArray();
        var name = Convert.ToHexStringLower(SHA256.HashData(module));
        var bundle = await BundleAsync((MirrorTree.BlobPath(name), module));

        using var unpacked = await UnpackAsync(bundle);

        Assert.Equal(module, await unpacked.Source.ReadOrNullAsync(MirrorTree.BlobPath(name), 100, CancellationToken.None));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(unpacked.Folder));
    }

    [Fact]
    public async Task UnpackAsync_ABlobThatIsNotWhatItsNameSays_IsRefusedAndNothingIsLeft()
    {
        var bundle = await BundleAsync((MirrorTree.BlobPath(new string('a', 64)), "swapped module"u8.ToArray()));

        var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => UnpackAsync(bundle));

        Assert.Equal("mirror-blob-mismatch", error.Code);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, "staging")));
    }

    private async Task<UnpackedBundle> UnpackAsync(string bundle)
    {
        await using var input = File.OpenRead(bundle);
        return await UnpackedBundle.UnpackAsync(input, Directory.CreateDirectory(Path.Combine(_root, "staging")).FullName, new BundleLimits(), null,
            CancellationToken.None);
    }

    private async Task<string> BundleAsync((string Path, byte[] Bytes) blob)
    {
        var path = Path.Combine(_root, "b.tar.zst");
        await using var writer = new BundleWriter(path);
        await writer.WriteAsync(blob.Path, new MemoryStream(blob.Bytes), blob.Bytes.Length, CancellationToken.None);
        await writer.WriteAsync(MirrorTree.IndexPath, new MemoryStream("i"u8.ToArray()), 1, CancellationToken.None);
        await writer.CompleteAsync(CancellationToken.None);
        return path;
    }
}
