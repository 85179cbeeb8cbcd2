using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace LivePatch.Client.Host;

/// <summary>One lpatch run at a time per state directory: an exclusive flock(2) on <c>lpatch.lock</c>, held until disposed.</summary>
/// <remarks>
/// flock rather than .NET's FileShare emulation: that one can be switched off by an environment variable and keeps
/// others from reading the file, where the holder's pid is. A flock belongs to the open file and dies with it, so a
/// run that crashed or was killed never leaves the next one waiting. The lock file is opened without following a
/// link and must be a private regular file (<see cref="PrivateFile"/>'s rules). Linux only.
/// </remarks>
public sealed class RunLock : IDisposable
{
    public const string FileName = "lpatch.lock";

    private const uint OwnerReadWrite = 0x180; // 0600
    private const int PidBytes = 32;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly SafeFileHandle _handle;

    private RunLock(SafeFileHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Takes the lock of <paramref name="stateDirectory"/>, trying every 100 ms for up to <paramref name="wait"/>.</summary>
    /// <param name="stateDirectory">The state directory; checked (and created) as a <see cref="PrivateDirectory"/> first.</param>
    /// <param name="wait">How long another run may keep it; zero tries once.</param>
    /// <param name="time">Measures the wait and paces the attempts.</param>
    /// <exception cref="LpatchBusyException">Another run still held it after <paramref name="wait"/>.</exception>
    /// <exception cref="UnsafePathException">The directory or the lock file is not private (a link, foreign-owned, ...).</exception>
    public static RunLock Acquire(string stateDirectory, TimeSpan wait, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(wait, TimeSpan.Zero);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The lpatch run lock uses flock(2) and is implemented for Linux only.");
        }

        PrivateDirectory.Ensure(stateDirectory, "stateDirectory");
        var path = System.IO.Path.Combine(stateDirectory, FileName);
        var handle = PrivateFile.OpenOrNull(path, UnixFile.ReadWrite | UnixFile.Create, OwnerReadWrite)
            ?? throw new IOException($"{path} could not be created.");
        try
        {
            WaitForLock(handle, path, wait, time);
            WritePid(handle);
            return new RunLock(handle, path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Releases the lock (closing the file is what releases a flock).</summary>
    public void Dispose()
    {
        if (_handle.IsClosed)
        {
            return;
        }

        // Empties the pid first, so that a run starting in the next instant does not blame a process that has finished.
        try
        {
            RandomAccess.SetLength(_handle, 0);
        }
        finally
        {
            _handle.Dispose();
        }
    }

    private static void WaitForLock(SafeFileHandle handle, string path, TimeSpan wait, TimeProvider time)
    {
        var start = time.GetTimestamp();
        while (!UnixFile.TryLockExclusive(handle, path))
        {
            var left = wait - time.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
            {
                throw Busy(path, ReadHolderPid(handle));
            }

            // A synchronous wait is fine here: lpatch is a command-line run with no synchronization context.
            Task.Delay(left < PollInterval ? left : PollInterval, time).GetAwaiter().GetResult();
        }
    }

    /// <remarks>
    /// The one file lpatch rewrites in place instead of replacing atomically, and the one exception to "never truncate
    /// a file you did not create": it is rewritten only while this run holds the lock, it was opened without following a
    /// link and checked to be our own regular file, and it holds nothing but a pid. Replacing it by rename would give
    /// the next run a different file to lock than the one this run holds.
    /// </remarks>
    private static void WritePid(SafeFileHandle handle)
    {
        var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        RandomAccess.Write(handle, pid, fileOffset: 0);
        RandomAccess.SetLength(handle, pid.Length);
    }

    /// <summary>The pid the holder wrote, read through this run's own descriptor without the lock; null when not (yet) written.</summary>
    private static int? ReadHolderPid(SafeFileHandle handle)
    {
        Span<byte> buffer = stackalloc byte[PidBytes];
        var text = Encoding.ASCII.GetString(buffer[..RandomAccess.Read(handle, buffer, fileOffset: 0)]);
        var line = text.Split('\n')[0];
        return int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
    }

    private static LpatchBusyException Busy(string path, int? pid)
    {
        var holder = pid is { } known ? $"pid {known}" : "pid not known yet";
        var stop = pid is { } p ? $"if it hangs, stop it (kill {p})" : "if it hangs, find it with fuser " + path;
        return new LpatchBusyException(path, pid,
            $"another lpatch is running ({holder}); wait for it to finish, or {stop}. The lock ({path}) is released when that process exits.");
    }
}
