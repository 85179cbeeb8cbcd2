using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LivePatch.Core.Mirrors;

/// <summary>Opens a file of a tree that someone else controls (a removable medium, a share, an unpacked bundle) so that
/// what is in a file's place cannot hang the reader: open(2) with O_NONBLOCK, then only a file that can seek (a regular
/// file) is read.</summary>
/// <remarks>A FIFO put where a manifest should be would block a plain open until a writer came (and lpatch runs as root,
/// holding its run lock); a terminal would block the first read. With O_NONBLOCK the open returns at once, and neither
/// seeks, so both are refused. A device that seeks (/dev/zero) is read like a file and stopped by the caller's size
/// limit; what any file holds is verified after. Linux only; elsewhere a plain open.</remarks>
public static partial class TreeFileOpener
{
    private const int ReadOnlyNonBlocking = 0x800; // O_RDONLY | O_NONBLOCK (same value on every Linux architecture but sparc/alpha/mips)
    private const int CloseOnExec = 0x80000;       // O_CLOEXEC
    private const int NotFound = 2;                // ENOENT
    private const int NotADirectory = 20;          // ENOTDIR: a path component is a file
    private const int Interrupted = 4;             // EINTR

    /// <summary>The open file, or null when nothing is there.</summary>
    /// <exception cref="IOException">It cannot be opened, or is not a regular file.</exception>
    public static FileStream? OpenOrNull(string file, string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Managed(file);
        }

        var handle = OpenNative(file, ReadOnlyNonBlocking, 0, out var errno);
        if (handle is null)
        {
            return errno is NotFound or NotADirectory ? null
                : throw new IOException($"{path}: open failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }

        var stream = new FileStream(handle, FileAccess.Read, 1, isAsync: false);
        if (!stream.CanSeek)
        {
            stream.Dispose();
            throw new IOException($"{path} is not a regular file (a FIFO, socket or terminal in the tree): refused.");
        }

        return stream;
    }

    private static FileStream? Managed(string file)
    {
        try
        {
            return new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>open(2) with O_CLOEXEC, retried on EINTR: the handle, or null and the errno (also for <see cref="MirrorFolderLock"/>).</summary>
    internal static SafeFileHandle? OpenNative(string path, int flags, uint mode, out int errno)
    {
        int fd;
        do
        {
            fd = Open(path, flags | CloseOnExec, mode);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (fd < 0 && errno == Interrupted);

        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, uint mode);
}
