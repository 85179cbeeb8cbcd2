using LivePatch.Core.Mirrors;

namespace LivePatch.Core.Tests.Mirrors;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DirectoryMirrorTargetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-target-test-").FullName;

    private static readonly string BlobHex = new('a', 64);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task WriteAsync_NewFile_WorldReadableWholeAndNoTempLeft()
    {
        var target = new DirectoryMirrorTarget(_root);
        var path = MirrorTree.ManifestPath("stable", Canned.BuildId);

        await target.WriteAsync(path, new MemoryStream([1, 2, 3, 4]), 3, default);
        await target.FlushAsync(default);

        Assert.Equal([1, 2, 3], await target.ReadOrNullAsync(path, 10, default));
        Assert.Equal(3, await target.SizeOrNullAsync(path, default));
        Assert.Equal(DirectoryMirrorTarget.PublicFileMode, File.GetUnixFileMode(Path.Combine(_root, path)));
        Assert.Equal(DirectoryMirrorTarget.PublicFolderMode, File.GetUnixFileMode(Path.Combine(_root, "v1", "manifests")));
        Assert.Equal([path], await target.ListAsync("v1/", default).ToListAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteAsync_LargerThanOneBuffer_CopiesExactlyLengthFromMemoryOrAStream(bool inMemory)
    {
        // Staged documents come as MemoryStreams (copied without awaiting), blobs as file streams (awaited): both must stop
        // at the length, over several buffers, and never take a byte past it.
        var bytes = new byte[200_001];
        Random.Shared.NextBytes(bytes);
        var content = inMemory ? (Stream)new MemoryStream(bytes) : new BufferedStream(new MemoryStream(bytes));
        var target = new DirectoryMirrorTarget(_root);

        await target.WriteAsync(MirrorTree.BlobPath(BlobHex), content, 200_000, default);
        await target.FlushAsync(default);

        Assert.Equal(bytes[..200_000], await target.ReadOrNullAsync(MirrorTree.BlobPath(BlobHex), 300_000, default));
    }

    [Fact]
    public async Task WriteAsync_StreamShorterThanLength_ThrowsAndPublishesNothing()
    {
        var target = new DirectoryMirrorTarget(_root);

        await Assert.ThrowsAsync<EndOfStreamException>(() =>
            target.WriteAsync(MirrorTree.BlobPath(BlobHex), new BufferedStream(new MemoryStream(new byte[100_000])), 100_001, default));
        await target.FlushAsync(default);

        Assert.Empty(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task WriteAsync_ContentShorterThanLength_ThrowsAndKeepsTheOldFile()
    {
        var target = new DirectoryMirrorTarget(_root);
        await target.WriteAsync(MirrorTree.IndexPath, new MemoryStream([9]), 1, default);
        await target.FlushAsync(default);

        await Assert.ThrowsAsync<EndOfStreamException>(() => target.WriteAsync(MirrorTree.IndexPath, new MemoryStream([1, 2]), 5, default));
        await target.FlushAsync(default);

        Assert.Equal([9], await target.ReadOrNullAsync(MirrorTree.IndexPath, 10, default));
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_root, "v1")));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("v1/manifests/stable/../../../x")]
    [InlineData("v1/blobs/sha256/short")]
    [InlineData("v1/manifests/../index")]
    [InlineData("v1/coverage/Stable/00")]
    [InlineData("v1/manifests/stable/.0123456789abcdef.tmp")]
    public async Task WriteAsync_NotATreePath_Refused(string path)
    {
        var target = new DirectoryMirrorTarget(_root);

        await Assert.ThrowsAsync<ArgumentException>(() => target.WriteAsync(path, new MemoryStream([1]), 1, default));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task ReadOrNullAsync_LargerThanTheLimit_ThrowsTooLarge()
    {
        var target = new DirectoryMirrorTarget(_root);
        await target.WriteAsync(MirrorTree.IndexPath, new MemoryStream(new byte[100]), 100, default);
        await target.FlushAsync(default);

        await Assert.ThrowsAsync<MirrorSourceTooLargeException>(() => target.ReadOrNullAsync(MirrorTree.IndexPath, 99, default));
        Assert.Null(await new DirectoryMirrorSource(_root).ReadOrNullAsync(MirrorTree.BlobPath(new string('a', 64)), 10, default));
    }

    [Fact]
    public async Task WriteAsync_BeforeFlush_ReadersStillSeeTheOldFile()
    {
        var target = new DirectoryMirrorTarget(_root);
        var path = MirrorTree.ManifestPath("stable", Canned.BuildId);
        await target.WriteAsync(path, new MemoryStream([1]), 1, default);
        await target.FlushAsync(default);

        await target.WriteAsync(path, new MemoryStream([2, 2]), 2, default);
        var beforeFlush = await target.ReadOrNullAsync(path, 10, default);
        await target.FlushAsync(default);

        Assert.Equal([1], beforeFlush);
        Assert.Equal([2, 2], await target.ReadOrNullAsync(path, 10, default));
        Assert.Equal([Path.Combine(_root, path)], Directory.EnumerateFiles(Path.GetDirectoryName(Path.Combine(_root, path))!));
    }

    [Fact]
    public async Task Dispose_WritesNeverFlushed_PublishesNothingAndLeavesNoTempFile()
    {
        var target = new DirectoryMirrorTarget(_root);
        await target.WriteAsync(MirrorTree.IndexPath, new MemoryStream([1]), 1, default);

        target.Dispose();

        Assert.Empty(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task WriteAsync_LeftoverTempFileIsALink_LinkReplacedAndItsTargetUntouched()
    {
        var target = new DirectoryMirrorTarget(_root);
        var outside = Path.Combine(Directory.CreateTempSubdirectory("lpatch-outside-").FullName, "victim");
        File.WriteAllBytes(outside, [7, 7]);
        Directory.CreateDirectory(Path.Combine(_root, "v1"));
        File.CreateSymbolicLink(Path.Combine(_root, "v1", ".index.tmp"), outside); // what a killed sync, or someone else, left

        await target.WriteAsync(MirrorTree.IndexPath, new MemoryStream([1, 2, 3]), 3, default);
        await target.FlushAsync(default);

        Assert.Equal([1, 2, 3], await target.ReadOrNullAsync(MirrorTree.IndexPath, 10, default));
        Assert.Equal([7, 7], File.ReadAllBytes(outside));
        Assert.False(File.Exists(Path.Combine(_root, "v1", ".index.tmp")));
        Directory.Delete(Path.GetDirectoryName(outside)!, recursive: true);
    }
}
