using System.Diagnostics;
using System.Globalization;
using System.Text;
using LivePatch.Client.Host;
using Microsoft.Extensions.Time.Testing;

namespace LivePatch.Client.Tests.Host;

public sealed class RunLockTests : IDisposable
{
    private static readonly string OwnPid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-lock-").FullName;
    private readonly string _state;
    private readonly string _lockFile;

    public RunLockTests()
    {
        _state = Path.Combine(_root, "state");
        _lockFile = Path.Combine(_state, RunLock.FileName);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private RunLock AcquireNow() => RunLock.Acquire(_state, TimeSpan.Zero, TimeProvider.System);

    [Fact]
    public void Acquire_Free_HoldsTheLockFileWithOwnPidAndMode0600()
    {
        using var held = AcquireNow();

        Assert.Equal(_lockFile, held.Path);
        Assert.Equal(OwnPid + "\n", LockFileText());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_lockFile));
        Assert.Equal(HostFiles.OwnerOnlyDirectory, File.GetUnixFileMode(_state));
    }

    [Fact]
    public void Acquire_HeldByAnotherOpenFile_ThrowsBusyNamingTheHoldersPid()
    {
        // flock belongs to the open file, not the process: a second open in this process conflicts like another run.
        using var first = AcquireNow();

        var error = Assert.Throws<LpatchBusyException>(AcquireNow);

        Assert.Equal("lpatch-busy", error.Code);
        Assert.Equal(Environment.ProcessId, error.HolderPid);
        Assert.StartsWith($"another lpatch is running (pid {OwnPid});", error.Message, StringComparison.Ordinal);
        Assert.Equal(OwnPid + "\n", LockFileText());
    }

    [Fact]
    public async Task Acquire_HeldLongerThanTheWait_WaitsTheWholeWaitThenThrowsBusy()
    {
        using var first = AcquireNow();
        var time = new FakeTimeProvider();

        var second = Task.Run(() => RunLock.Acquire(_state, TimeSpan.FromSeconds(2), time));
        for (var i = 0; i < 19; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(5);
        }

        Assert.False(second.IsCompleted, "gave up before the wait had passed");
        await AdvanceUntilDone(second, time);
        await Assert.ThrowsAsync<LpatchBusyException>(() => second);
    }

    [Fact]
    public async Task Acquire_HolderFinishesWithinTheWait_Succeeds()
    {
        var first = AcquireNow();
        var time = new FakeTimeProvider();
        var second = Task.Run(() => RunLock.Acquire(_state, TimeSpan.FromMinutes(5), time));
        time.Advance(TimeSpan.FromSeconds(1));
        await Task.Delay(20);

        first.Dispose();
        await AdvanceUntilDone(second, time);

        using var held = await second;
        Assert.Equal(OwnPid + "\n", LockFileText());
    }

    [Fact]
    public void Acquire_AfterDispose_Succeeds()
    {
        AcquireNow().Dispose();

        using var again = AcquireNow();

        Assert.Equal(OwnPid + "\n", LockFileText());
    }

    [Fact]
    public void Dispose_Twice_DoesNothingMore()
    {
        var held = AcquireNow();

        held.Dispose();
        held.Dispose();

        Assert.Equal("", LockFileText());
    }

    [Fact]
    public void Acquire_HeldByAnotherProcess_ThrowsBusyWithItsPidUntilItDies()
    {
        AcquireNow().Dispose();
        // util-linux flock(1) takes the lock, then its child writes flock's pid ($PPID) the way lpatch would.
        var start = new ProcessStartInfo("flock", [_lockFile, "sh", "-c", "echo $PPID > \"$0\"; exec sleep 60", _lockFile]);
        using var holder = Process.Start(start)!;
        try
        {
            WaitForContent(_lockFile, holder.Id.ToString(CultureInfo.InvariantCulture) + "\n");

            var error = Assert.Throws<LpatchBusyException>(AcquireNow);
            Assert.Equal(holder.Id, error.HolderPid);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }

        // The lock dies with its holder (its child, sleep, may take a moment to finish dying): nothing to clean up.
        using var next = RunLock.Acquire(_state, TimeSpan.FromSeconds(10), TimeProvider.System);
        Assert.Equal(OwnPid + "\n", LockFileText());
    }

    [Fact]
    public void Acquire_SymlinkPlantedAsLockFile_RefusesAndLeavesTheTargetAlone()
    {
        Directory.CreateDirectory(_state, HostFiles.OwnerOnlyDirectory);
        var target = Path.Combine(_root, "shadow");
        File.WriteAllText(target, "root:x:0:0\n");
        File.CreateSymbolicLink(_lockFile, target);

        var error = Assert.Throws<UnsafePathException>(AcquireNow);

        Assert.Contains(_lockFile, error.Message, StringComparison.Ordinal);
        Assert.Equal("root:x:0:0\n", File.ReadAllText(target));
    }

    [Fact]
    public void Acquire_DanglingSymlinkAsLockFile_RefusesAndCreatesNothing()
    {
        Directory.CreateDirectory(_state, HostFiles.OwnerOnlyDirectory);
        var target = Path.Combine(_root, "created-through-link");
        File.CreateSymbolicLink(_lockFile, target);

        Assert.Throws<UnsafePathException>(AcquireNow);

        Assert.False(File.Exists(target));
    }

    [Fact]
    public void Acquire_StateDirectoryWritableByOthers_RefusesBeforeTouchingIt()
    {
        Directory.CreateDirectory(_state);
        File.SetUnixFileMode(_state, HostFiles.OwnerOnlyDirectory | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);

        Assert.Throws<UnsafePathException>(AcquireNow);

        Assert.False(File.Exists(_lockFile));
    }

    // File.ReadAllText would fail: .NET's FileShare emulation takes a shared flock, which the holder's exclusive one refuses.
    private string LockFileText() => ReadWithoutLocking(_lockFile);

    private static string ReadWithoutLocking(string path) => Encoding.ASCII.GetString(PrivateFile.ReadBoundedOrNull(path, 64)!);

    /// <summary>Moves fake time on until <paramref name="task"/> ends, giving up after ten real seconds.</summary>
    private static async Task AdvanceUntilDone(Task task, FakeTimeProvider time)
    {
        var deadline = Stopwatch.StartNew();
        while (!task.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(2);
        }

        Assert.True(task.IsCompleted, "the lock attempt did not finish");
    }

    private static void WaitForContent(string path, string expected)
    {
        var deadline = Stopwatch.StartNew();
        while (ReadWithoutLocking(path) != expected)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"{path} never held '{expected.Trim()}'");
            Thread.Sleep(20);
        }
    }
}
