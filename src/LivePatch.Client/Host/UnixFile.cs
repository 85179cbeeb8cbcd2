using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LivePatch.Client.Host;

/// <summary>What lstat/fstat say about a file: type, permission bits, owner and identity.</summary>
internal readonly record struct UnixFileStatus(uint Mode, uint OwnerId, ulong Inode, uint DeviceMajor, uint DeviceMinor)
{
    private const uint TypeMask = 0xF000;       // S_IFMT
    private const uint Directory = 0x4000;      // S_IFDIR
    private const uint Regular = 0x8000;        // S_IFREG
    private const uint SymbolicLink = 0xA000;   // S_IFLNK
    private const uint GroupOrOtherWrite = 0x12; // S_IWGRP | S_IWOTH (022)

    public bool IsDirectory => (Mode & TypeMask) == Directory;

    public bool IsRegularFile => (Mode & TypeMask) == Regular;

    public bool IsSymbolicLink => (Mode & TypeMask) == SymbolicLink;

    public bool IsWritableByOthers => (Mode & GroupOrOtherWrite) != 0;

    /// <summary>The permission bits as chmod prints them, e.g. 0755.</summary>
    public string Permissions => "0" + Convert.ToString(Mode & 0xFFF, 8);

    /// <summary>A word for the file's type, for messages.</summary>
    public string TypeName => (Mode & TypeMask) switch
    {
        Directory => "a directory",
        Regular => "a regular file",
        SymbolicLink => "a symbolic link",
        0x1000 => "a FIFO",
        0x2000 => "a character device",
        0x6000 => "a block device",
        0xC000 => "a socket",
        _ => "an unknown kind of file",
    };
}

/// <summary>The few Linux calls .NET has no managed form of: lstat/fstat with the owner, open without following
/// links, flock, geteuid. Linux only: callers check <see cref="OperatingSystem.IsLinux"/> first.</summary>
/// <remarks>
/// Every argument is blittable and struct statx is read from a fixed 256-byte buffer at the offsets of
/// linux/include/uapi/linux/stat.h, which are the same on every Linux architecture, so this stays Native AOT clean.
/// The errno values and O_ flags below are those of x86, arm, riscv, s390x, ppc and loongarch (not mips, sparc, alpha).
/// </remarks>
internal static partial class UnixFile
{
    public const int ReadOnly = 0x0;         // O_RDONLY
    public const int ReadWrite = 0x2;        // O_RDWR
    public const int Create = 0x40;          // O_CREAT
    public const int NonBlocking = 0x800;    // O_NONBLOCK
    public const int CloseOnExec = 0x80000;  // O_CLOEXEC

    public const int NotFound = 2;           // ENOENT
    public const int Interrupted = 4;        // EINTR
    public const int WouldBlock = 11;        // EAGAIN = EWOULDBLOCK
    public const int TooManyLinks = 40;      // ELOOP: O_NOFOLLOW met a symbolic link

    private const int CurrentDirectory = -100;   // AT_FDCWD
    private const int SymlinkNoFollow = 0x100;   // AT_SYMLINK_NOFOLLOW
    private const int EmptyPath = 0x1000;        // AT_EMPTY_PATH: stat the fd itself
    private const uint WantedFields = 0x10B;     // STATX_TYPE | STATX_MODE | STATX_UID | STATX_INO
    private const int StatxBufferBytes = 256;    // sizeof(struct statx)

    private const int LockExclusive = 2;         // LOCK_EX
    private const int LockNonBlocking = 4;       // LOCK_NB

    /// <summary>O_NOFOLLOW: the one open flag used here whose value differs between architectures
    /// (include/uapi/asm-generic/fcntl.h versus arch/arm*/ and arch/powerpc/ uapi/asm/fcntl.h).</summary>
    public static int NoFollow => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 or Architecture.RiscV64 or Architecture.S390x or Architecture.LoongArch64 => 0x20000,
        Architecture.Arm64 or Architecture.Arm or Architecture.Armv6 or Architecture.Ppc64le => 0x8000,
        var other => throw new PlatformNotSupportedException($"O_NOFOLLOW is not known for {other}."),
    };

    /// <summary>The user lpatch runs as; files it trusts must belong to this user.</summary>
    public static uint EffectiveUserId => GetEffectiveUserId();

    /// <summary>lstat: describes <paramref name="path"/> itself, a link included; null when nothing is there.</summary>
    /// <exception cref="IOException">Any other failure (permission, a path component not a directory).</exception>
    public static UnixFileStatus? LinkStatusOrNull(string path)
    {
        Span<byte> buffer = stackalloc byte[StatxBufferBytes];
        if (Statx(CurrentDirectory, path, SymlinkNoFollow, WantedFields, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == NotFound ? null : throw Error("lstat", path, errno);
        }

        return Parse(buffer, path);
    }

    /// <summary>fstat: describes the file <paramref name="handle"/> is open on.</summary>
    public static UnixFileStatus Status(SafeFileHandle handle, string path)
    {
        Span<byte> buffer = stackalloc byte[StatxBufferBytes];
        if (Statx(handle, "", EmptyPath, WantedFields, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            throw Error("fstat", path, Marshal.GetLastPInvokeError());
        }

        return Parse(buffer, path);
    }

    /// <summary>open(2); on failure returns null and the errno, so callers decide which errors are expected.</summary>
    public static SafeFileHandle? OpenOrNull(string path, int flags, uint mode, out int errno)
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

    /// <summary>flock(LOCK_EX | LOCK_NB): true when this open file now holds the lock, false when another one does.</summary>
    public static bool TryLockExclusive(SafeFileHandle handle, string path)
    {
        while (Flock(handle, LockExclusive | LockNonBlocking) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == WouldBlock)
            {
                return false;
            }

            if (errno != Interrupted)
            {
                throw Error("flock", path, errno);
            }
        }

        return true;
    }

    public static IOException Error(string call, string path, int errno) =>
        new($"{call} of '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");

    private static UnixFileStatus Parse(ReadOnlySpan<byte> statx, string path)
    {
        // Offsets of struct statx: stx_mask 0x00, stx_uid 0x14, stx_mode 0x1C, stx_ino 0x20, stx_dev_major/minor 0x88/0x8C.
        var mask = MemoryMarshal.Read<uint>(statx);
        if ((mask & WantedFields) != WantedFields)
        {
            // A file system that cannot say who owns a file cannot hold state lpatch trusts.
            throw new IOException($"statx of '{path}' did not report the type, mode, owner and inode (mask 0x{mask:x}).");
        }

        return new UnixFileStatus(
            Mode: MemoryMarshal.Read<ushort>(statx[0x1C..]),
            OwnerId: MemoryMarshal.Read<uint>(statx[0x14..]),
            Inode: MemoryMarshal.Read<ulong>(statx[0x20..]),
            DeviceMajor: MemoryMarshal.Read<uint>(statx[0x88..]),
            DeviceMinor: MemoryMarshal.Read<uint>(statx[0x8C..]));
    }

    // statx(2) needs glibc 2.28 or musl 1.2.5; it exists on every kernel since 4.11.
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, ref byte buffer);

    // A SafeHandle is passed as a pointer-sized integer; a file descriptor is small and non-negative, so the C int
    // the callee reads is the same value on every ABI.
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(SafeFileHandle fd, string path, int flags, uint mask, ref byte buffer);

    // open is variadic in C; on the Linux ABIs listed above a variadic int is passed like a named one.
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(SafeFileHandle fd, int operation);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
