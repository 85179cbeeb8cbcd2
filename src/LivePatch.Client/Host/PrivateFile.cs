using LivePatch.Core;
using Microsoft.Win32.SafeHandles;

namespace LivePatch.Client.Host;

/// <summary>Reads a file from a <see cref="PrivateDirectory"/> without following a link and only when lpatch's own user owns it.</summary>
/// <remarks>
/// The file is opened with O_NOFOLLOW (a link in its place fails with ELOOP instead of being read through) and
/// O_NONBLOCK (a FIFO in its place does not hang the run), then checked on the open descriptor, so nothing can be
/// swapped in between the check and the read. Refused, as <see cref="UnsafePathException"/>: a link, anything but a
/// regular file, a file owned by another user, a file writable by group or others (a 0755 state directory lets
/// others reach it). Only the last path component is checked here; the directories above are
/// <see cref="PrivateDirectory"/>'s job.
/// </remarks>
public static class PrivateFile
{
    /// <summary>The file's bytes, or null when it does not exist.</summary>
    /// <exception cref="UnsafePathException">It is a link, not a regular file, foreign-owned or writable by others.</exception>
    /// <exception cref="LivePatchFormatException">It holds more than <paramref name="maxBytes"/> (file-too-large).</exception>
    public static byte[]? ReadBoundedOrNull(string path, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        // One more byte than the limit must fit in an array (ReadBounded reads it to see the file is too large).
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(maxBytes, Array.MaxLength);
        if (!OperatingSystem.IsLinux())
        {
            return ReadWithoutOwnerOrNull(path, maxBytes);
        }

        using var handle = OpenOrNull(path, UnixFile.ReadOnly | UnixFile.NonBlocking, mode: 0);
        return handle is null ? null : ReadBounded(handle, path, maxBytes);
    }

    /// <summary>Whether something (a link included, which is not followed) is at <paramref name="path"/>.</summary>
    public static bool Exists(string path) =>
        OperatingSystem.IsLinux() ? UnixFile.LinkStatusOrNull(path) is not null : Path.Exists(path) || new FileInfo(path).LinkTarget is not null;

    /// <summary>Opens without following a link and checks the result is a private regular file; null when missing
    /// and <see cref="UnixFile.Create"/> is not among <paramref name="flags"/>.</summary>
    internal static SafeFileHandle? OpenOrNull(string path, int flags, uint mode)
    {
        var handle = UnixFile.OpenOrNull(path, flags | UnixFile.NoFollow, mode, out var errno);
        if (handle is null)
        {
            return errno switch
            {
                UnixFile.NotFound => null,
                UnixFile.TooManyLinks => throw Refuse(path, "is a symbolic link, and lpatch does not follow links in its state",
                    $"remove it (rm {path}); lpatch writes a new one when it needs it"),
                _ => throw UnixFile.Error("open", path, errno),
            };
        }

        try
        {
            CheckOpened(handle, path);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void CheckOpened(SafeFileHandle handle, string path)
    {
        var status = UnixFile.Status(handle, path);
        if (!status.IsRegularFile)
        {
            throw Refuse(path, $"is {status.TypeName}, not a regular file", $"move it away (mv {path} {path}.old)");
        }

        var self = UnixFile.EffectiveUserId;
        if (status.OwnerId != self)
        {
            throw Refuse(path, $"is owned by uid {status.OwnerId}, not by uid {self} that runs lpatch",
                "remove it after checking who put it there and why");
        }

        if (status.IsWritableByOthers)
        {
            throw Refuse(path, $"is writable by group or others (mode {status.Permissions})", $"chmod 600 {path}");
        }
    }

    private static byte[] ReadBounded(SafeFileHandle handle, string path, int maxBytes)
    {
        // One byte past the limit is enough to know the file is too large; nothing further is read.
        var buffer = new byte[Math.Min(maxBytes + 1L, 81920)];
        var length = 0;
        int read;
        while ((read = RandomAccess.Read(handle, buffer.AsSpan(length), length)) > 0)
        {
            length += read;
            LivePatchFormatException.ThrowUnless(length <= maxBytes, ErrorCodes.FileTooLarge,
                $"{path} is larger than the limit of {maxBytes} bytes.");
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxBytes + 1L));
            }
        }

        return buffer.AsSpan(0, length).ToArray();
    }

    private static byte[]? ReadWithoutOwnerOrNull(string path, int maxBytes)
    {
        if (new FileInfo(path).LinkTarget is not null)
        {
            throw Refuse(path, "is a symbolic link, and lpatch does not follow links in its state", $"remove it ({path})");
        }

        return File.Exists(path) ? FileBytes.ReadBounded(path, maxBytes) : null;
    }

    private static UnsafePathException Refuse(string path, string problem, string fix) => new(path, $"{path} {problem}; fix: {fix}.");
}
