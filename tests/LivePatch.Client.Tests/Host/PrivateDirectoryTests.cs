using LivePatch.Client.Host;

namespace LivePatch.Client.Tests.Host;

public sealed class PrivateDirectoryTests : IDisposable
{
    private const string Setting = "cacheDirectory";

    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-privdir-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string PathOf(string name) => Path.Combine(_root, name);

    private static UnsafePathException Refused(string path)
    {
        var error = Assert.Throws<UnsafePathException>(() => PrivateDirectory.Ensure(path, Setting));
        Assert.Equal("state-path-unsafe", error.Code);
        Assert.Equal(path, error.Path);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(Setting, error.Message, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public void Ensure_Missing_CreatesItAndItsParentsWithMode0700()
    {
        var path = PathOf("lib/lpatch");

        PrivateDirectory.Ensure(path, Setting);

        Assert.Equal(HostFiles.OwnerOnlyDirectory, File.GetUnixFileMode(path));
        Assert.Equal(HostFiles.OwnerOnlyDirectory, File.GetUnixFileMode(PathOf("lib")));
    }

    [Theory]
    [InlineData(0b111_000_000)] // 0700
    [InlineData(0b111_101_101)] // 0755: others may read, not write
    public void Ensure_OwnDirectoryNotWritableByOthers_AcceptsAndLeavesModeAlone(int mode)
    {
        var path = PathOf("state");
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)mode);

        PrivateDirectory.Ensure(path, Setting);

        Assert.Equal((UnixFileMode)mode, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Ensure_TrailingSlash_ChecksTheDirectory()
    {
        var path = PathOf("state");
        Directory.CreateDirectory(path, HostFiles.OwnerOnlyDirectory);

        PrivateDirectory.Ensure(path + "/", Setting);

        Assert.True(Directory.Exists(path));
    }

    [Fact]
    public void Ensure_SymlinkToGoodDirectory_RefusesWithoutFollowing()
    {
        var target = PathOf("real");
        Directory.CreateDirectory(target, HostFiles.OwnerOnlyDirectory);
        var link = PathOf("state");
        File.CreateSymbolicLink(link, target);

        var error = Refused(link);

        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
        Assert.Equal(target, new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void Ensure_DanglingSymlink_RefusesAndCreatesNothingAtItsTarget()
    {
        var target = PathOf("elsewhere");
        var link = PathOf("state");
        File.CreateSymbolicLink(link, target);

        Refused(link);

        Assert.False(Path.Exists(target));
    }

    [Theory]
    [InlineData(0b111_111_000, "0770")] // group-writable
    [InlineData(0b111_000_010, "0702")] // other-writable
    [InlineData(0b111_111_111, "0777")]
    public void Ensure_WritableByGroupOrOthers_RefusesWithChmodFixAndLeavesModeAlone(int mode, string shown)
    {
        var path = PathOf("state");
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)mode);

        var error = Refused(path);

        Assert.Contains(shown, error.Message, StringComparison.Ordinal);
        Assert.Contains($"chmod 700 {path}", error.Message, StringComparison.Ordinal);
        Assert.Equal((UnixFileMode)mode, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Ensure_OwnedByAnotherUser_RefusesWithChownFixAndLeavesOwnerAlone()
    {
        var path = PathOf("state");
        Directory.CreateDirectory(path, HostFiles.OwnerOnlyDirectory);
        HostFiles.GiveToForeignUser(path);

        var error = Refused(path);

        Assert.Contains($"uid {HostFiles.ForeignUid}", error.Message, StringComparison.Ordinal);
        Assert.Contains("chown", error.Message, StringComparison.Ordinal);
        Assert.Equal(HostFiles.ForeignUid, HostFiles.OwnerOf(path));
    }

    [Fact]
    public void Ensure_RegularFileInItsPlace_RefusesAndLeavesTheFile()
    {
        var path = PathOf("state");
        File.WriteAllText(path, "not a directory");

        var error = Refused(path);

        Assert.Contains("regular file", error.Message, StringComparison.Ordinal);
        Assert.Equal("not a directory", File.ReadAllText(path));
    }

    [Fact]
    public void Ensure_ParentIsARegularFile_ThrowsIOExceptionAndCreatesNothing()
    {
        File.WriteAllText(PathOf("file"), "x");

        Assert.ThrowsAny<IOException>(() => PrivateDirectory.Ensure(PathOf("file/state"), Setting));

        Assert.Equal("x", File.ReadAllText(PathOf("file")));
    }
}
