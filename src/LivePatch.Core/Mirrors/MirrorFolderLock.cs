using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LivePatch.Core.Mirrors;

/// <summary>One writer per mirror folder: an exclusive flock(2) on <c>.lpatch-mirror.lock</c> in the folder's root, held
/// for a whole sync or import, so that a timer's sync and one started by hand never write the same tree at once.</summary>
/// <remarks>The lock file is hidden and not a tree path, so no web server configured as the sample, and no mirror-mode
/// server, serves it. flock is released by the kernel when the process dies: a killed sync leaves no stale lock. Linux
/// only; elsewhere nothing is locked.</remarks>
public sealed partial class MirrorFolderLock : IDisposable
{
    /// <summary>The lock file's name in the folder.</summary>
    public const string FileName = ".lpatch-mirror.lock";

    private const int LockExclusive = 2;     // LOCK_EX
    private const int LockNonBlocking = 4;   // LOCK_NB
    private const int WouldBlock = 11;       // EWOULDBLOCK
    private const int Interrupted = 4;       // EINTR

    private const int ReadWriteCreate = 0x2 | 0x40;           // O_RDWR | O_CREAT
    private const uint PublicFileMode = 0x1A4;                // 0644: the tree's files are world-readable too

    private readonly SafeFileHandle? _file;

    private MirrorFolderLock(SafeFileHandle? file) => _file = file;

    /// <summary>Takes the lock of <paramref name="folder"/> (created if missing), or throws
    /// <see cref="LivePatchFormatException"/> with <c>mirror-target-busy</c> when another process holds it.</summary>
    public static MirrorFolderLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsLinux())
        {
            return new MirrorFolderLock(null);
        }

        // open(2) itself, not FileStream: .NET takes its own flock when it opens a file, which would decide first.
        var path = Path.Combine(folder, FileName);
        var file = TreeFileOpener.OpenNative(path, ReadWriteCreate, PublicFileMode, out var openErrno)
            ?? throw new IOException($"open of {path} failed: {Marshal.GetPInvokeErrorMessage(openErrno)} (errno {openErrno}).");
        int result;
        do
        {
            result = Flock(file, LockExclusive | LockNonBlocking);
        }
        while (result != 0 && Marshal.GetLastPInvokeError() == Interrupted);

        if (result == 0)
        {
            return new MirrorFolderLock(file);
        }

        var errno = Marshal.GetLastPInvokeError();
        file.Dispose();
        throw errno == WouldBlock
            ? new LivePatchFormatException(ErrorCodes.MirrorTargetBusy,
                $"Another lpatch mirror sync or import is writing {folder} (it holds {FileName}); try again when it has finished.")
            : new IOException($"flock of {path} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
    }

    public void Dispose() => _file?.Dispose();

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);
}
