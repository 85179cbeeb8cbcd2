using LivePatch.Client.Host;
using LivePatch.Core;

namespace LivePatch.Client.Tests.Host;

public sealed class PrivateFileTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-privfile-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string PathOf(string name) => Path.Combine(_root, name);

    private string Write(string name, byte[] content)
    {
        var path = PathOf(name);
        File.WriteAllBytes(path, content);
        File.SetUnixFileMode(path, OwnerReadWrite);
        return path;
    }

    private static UnsafePathException Refused(string path)
    {
        var error = Assert.Throws<UnsafePathException>(() => PrivateFile.ReadBoundedOrNull(path, 1024));
        Assert.Equal(UnsafePathException.ErrorCode, error.Code);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public void ReadBoundedOrNull_OwnFile_ReturnsItsBytes()
    {
        var path = Write("state.json", "{\"a\":1}"u8.ToArray());

        Assert.Equal("{\"a\":1}"u8.ToArray(), PrivateFile.ReadBoundedOrNull(path, 1024));
    }

    [Fact]
    public void ReadBoundedOrNull_EmptyFile_ReturnsNoBytes()
    {
        var path = Write("empty", []);

        Assert.Empty(PrivateFile.ReadBoundedOrNull(path, 0)!);
    }

    [Fact]
    public void ReadBoundedOrNull_Missing_ReturnsNull()
    {
        Assert.Null(PrivateFile.ReadBoundedOrNull(PathOf("absent"), 1024));
    }

    [Fact]
    public void ReadBoundedOrNull_LargerThanOneChunkAndExactlyTheLimit_ReturnsAll()
    {
        var content = Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray();
        var path = Write("big", content);

        Assert.Equal(content, PrivateFile.ReadBoundedOrNull(path, content.Length));
    }

    [Theory]
    [InlineData(10, 9)]
    [InlineData(200_001, 200_000)]
    [InlineData(1, 0)]
    public void ReadBoundedOrNull_LargerThanTheLimit_ThrowsFileTooLarge(int size, int limit)
    {
        var path = Write("big", new byte[size]);

        var error = Assert.Throws<LivePatchFormatException>(() => PrivateFile.ReadBoundedOrNull(path, limit));

        Assert.Equal(ErrorCodes.FileTooLarge, error.Code);
    }

    [Fact]
    public void ReadBoundedOrNull_SymlinkToOwnFile_RefusesNamingTheLink()
    {
        var target = Write("real.json", "{}"u8.ToArray());
        var link = PathOf("state.json");
        File.CreateSymbolicLink(link, target);

        var error = Refused(link);

        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadBoundedOrNull_Fifo_RefusesWithoutBlocking()
    {
        var path = PathOf("state.json");
        HostFiles.MakeFifo(path);

        // Opening a FIFO for reading waits for a writer unless O_NONBLOCK: a hang here is the failure.
        var read = Task.Run(() => PrivateFile.ReadBoundedOrNull(path, 1024));

        Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10))));
        var error = await Assert.ThrowsAsync<UnsafePathException>(() => read);
        Assert.Contains("FIFO", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadBoundedOrNull_Directory_Refuses()
    {
        Directory.CreateDirectory(PathOf("state.json"));

        Refused(PathOf("state.json"));
    }

    [Fact]
    public void ReadBoundedOrNull_OwnedByAnotherUser_Refuses()
    {
        var path = Write("state.json", "{}"u8.ToArray());
        HostFiles.GiveToForeignUser(path);

        var error = Refused(path);

        Assert.Contains($"uid {HostFiles.ForeignUid}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadBoundedOrNull_WritableByOthers_RefusesWithChmodFix()
    {
        var path = Write("state.json", "{}"u8.ToArray());
        File.SetUnixFileMode(path, OwnerReadWrite | UnixFileMode.OtherWrite);

        var error = Refused(path);

        Assert.Contains($"chmod 600 {path}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exists_DanglingSymlink_IsTrueWithoutFollowing()
    {
        var link = PathOf("state.json");
        File.CreateSymbolicLink(link, PathOf("absent"));

        Assert.True(PrivateFile.Exists(link));
        Assert.False(PrivateFile.Exists(PathOf("absent")));
    }
}
