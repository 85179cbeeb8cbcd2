using LivePatch.Core.Mirrors;

namespace LivePatch.Core.Tests.Mirrors;

public sealed class MirrorFolderLockTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-folder-lock-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Acquire_WhileAnotherHoldsIt_IsBusy_AndFreeAgainOnceReleased()
    {
        var first = MirrorFolderLock.Acquire(_root);

        var error = Assert.Throws<LivePatchFormatException>(() => MirrorFolderLock.Acquire(_root));
        Assert.Equal("mirror-target-busy", error.Code);
        Assert.Equal(ErrorCategory.Busy, error.Error.Category);

        first.Dispose();
        using var second = MirrorFolderLock.Acquire(_root);
    }

    [Fact]
    public void Locked_Target_HoldsTheFolderUntilDisposed()
    {
        var target = DirectoryMirrorTarget.Locked(_root);

        Assert.Equal("mirror-target-busy", Assert.Throws<LivePatchFormatException>(() => DirectoryMirrorTarget.Locked(_root)).Code);
        target.Dispose();
        DirectoryMirrorTarget.Locked(_root).Dispose();
    }
}
