using System.Runtime.InteropServices;

namespace LivePatch.Core;

/// <summary>fsync(2) of a folder: makes a rename or a new entry in it survive a power cut, not only the file's bytes.</summary>
/// <remarks>
/// A file fsynced and then renamed into place can still vanish after a power cut until its folder's entry is on
/// disk too (ext4 with data=ordered usually gets it there; XFS, btrfs and others need the folder's fsync). .NET
/// cannot open a folder as a file, so this calls libc directly. Linux only; elsewhere it does nothing.
/// </remarks>
public static partial class DirectorySync
{
    private const int ReadOnly = 0;            // O_RDONLY
    private const int CloseOnExec = 0x80000;   // O_CLOEXEC on Linux (x86-64, arm64, ppc64, s390x)
    private const int Interrupted = 4;         // EINTR

    /// <summary>Flushes <paramref name="directory"/>'s entries to disk.</summary>
    /// <exception cref="IOException">The folder cannot be opened or flushed.</exception>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(directory, ReadOnly | CloseOnExec);
        if (fd < 0)
        {
            throw Error("open", directory);
        }

        try
        {
            while (Fsync(fd) != 0)
            {
                if (Marshal.GetLastPInvokeError() != Interrupted)
                {
                    throw Error("fsync", directory);
                }
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Flushes every file system buffer of the file system holding <paramref name="path"/> (syncfs(2)): the data of
    /// many files written since, in one call instead of an fsync each.</summary>
    /// <remarks>One flush of the journal instead of one per file: a mirror sync writes thousands of small files per phase.
    /// syncfs reports write-back errors of the file system since Linux 5.8; on older kernels a failed write-back may go
    /// unreported, as it also may for fsync of a file whose error was consumed elsewhere.</remarks>
    /// <exception cref="IOException">The path cannot be opened or its file system flushed.</exception>
    public static void FlushFileSystem(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(path, ReadOnly | CloseOnExec);
        if (fd < 0)
        {
            throw Error("open", path);
        }

        try
        {
            while (SyncFs(fd) != 0)
            {
                if (Marshal.GetLastPInvokeError() != Interrupted)
                {
                    throw Error("syncfs", path);
                }
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static IOException Error(string call, string directory)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} of folder '{directory}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
