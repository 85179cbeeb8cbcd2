using System.Text;
using LivePatch.Client.Host;
using LivePatch.Client.Updates;
using LivePatch.Core;
using Microsoft.Win32.SafeHandles;

namespace LivePatch.Client.Reports;

/// <summary>A report could not be made or sent: the code and the sentence of the warning lpatch prints.</summary>
internal sealed class ReportRefusedException(ErrorCode code, string message) : Exception(message)
{
    public ErrorCode Code { get; } = code;
}

/// <summary>Reads the reporter API key from <c>report.tokenFile</c>, refusing a file anyone but its owner could read or change.</summary>
/// <remarks>
/// lpatch runs as root on every host, and the key lets whoever holds it report as any host: like the state files, the file is
/// opened without following a link (O_NOFOLLOW) and without blocking on a FIFO (O_NONBLOCK), then checked on the open
/// descriptor: a regular file, owned by the user running lpatch, with no permission for group or others (a key others can
/// read is already leaked, one they can write lets them choose what the host sends). At most <see cref="MaxBytes"/> are read.
/// </remarks>
internal static class ReportToken
{
    public const int MaxBytes = 4096;

    /// <summary>S_IRWXG | S_IRWXO (077).</summary>
    private const uint GroupOrOtherAccess = 0x3F;

    public static string Read(string path)
    {
        var bytes = OperatingSystem.IsLinux() ? ReadPrivate(path) : FileBytes.ReadBounded(path, MaxBytes);
        var token = Encoding.UTF8.GetString(bytes).Trim();
        if (token.Length == 0 || !token.All(c => c is > ' ' and < '\u007f'))
        {
            throw Refused($"{path} does not hold an API key (one line of printable characters, as 'lpatch api-keys create' prints it)");
        }

        return token;
    }

    private static byte[] ReadPrivate(string path)
    {
        using var handle = UnixFile.OpenOrNull(path, UnixFile.ReadOnly | UnixFile.NonBlocking | UnixFile.NoFollow, 0, out var errno)
            ?? throw Refused(errno switch
            {
                UnixFile.NotFound => $"{path} does not exist",
                UnixFile.TooManyLinks => $"{path} is a symbolic link; lpatch reads the key only from a regular file",
                _ => UnixFile.Error("open", path, errno).Message,
            });
        var status = UnixFile.Status(handle, path);
        if (!status.IsRegularFile)
        {
            throw Refused($"{path} is {status.TypeName}, not a regular file");
        }

        if (status.OwnerId != UnixFile.EffectiveUserId)
        {
            throw Refused($"{path} is owned by uid {status.OwnerId}, not by uid {UnixFile.EffectiveUserId} that runs lpatch");
        }

        if ((status.Mode & GroupOrOtherAccess) != 0)
        {
            throw Refused($"{path} may be read or written by group or others (mode {status.Permissions}); fix: chmod 600 {path}, and replace the key if others could read it");
        }

        return ReadBounded(handle, path);
    }

    private static byte[] ReadBounded(SafeFileHandle handle, string path)
    {
        var buffer = new byte[MaxBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = RandomAccess.Read(handle, buffer.AsSpan(length), length)) > 0)
        {
            length += read;
        }

        return length > MaxBytes ? throw Refused($"{path} is larger than {MaxBytes} bytes: not an API key") : buffer[..length];
    }

    private static ReportRefusedException Refused(string message) => new(ClientErrorCodes.ReportTokenInvalid, message);
}
