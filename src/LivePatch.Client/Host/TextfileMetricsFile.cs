using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Host;

/// <summary>Writes a node_exporter textfile-collector file (<c>lpatch status --prometheus FILE</c>): a new temp file in the same
/// folder, mode 0644, fsync, rename over the old one, fsync of the folder. node_exporter reads the folder concurrently and
/// only <c>*.prom</c> files, so it sees the old file or the new one, never half of one, and never the temp file.</summary>
/// <remarks>
/// lpatch runs as root, so the target is checked the way the client treats its own files before anything is written: the
/// name must end in <c>.prom</c> (a slip of the keyboard cannot replace <c>/etc/shadow</c>); the folder must exist, be a real
/// folder (not a symbolic link), belong to the user running lpatch and not be writable by group or others (otherwise
/// whoever can write there could swap the folder's entries under a root process); a file already at the target must be a
/// regular file of that user. The temp file is created with O_EXCL (never through a link) and made 0644 whatever the
/// umask, since node_exporter runs as another user and only reads.
/// </remarks>
public static class TextfileMetricsFile
{
    /// <summary>What node_exporter's textfile collector reads; anything else in its folder is ignored.</summary>
    public const string Extension = ".prom";

    private const UnixFileMode ReadableByAll = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <exception cref="MetricsFileException">The target is refused or cannot be written; nothing was replaced.</exception>
    public static void Write(string path, string text)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!full.EndsWith(Extension, StringComparison.Ordinal) || Path.GetFileName(full).Length == Extension.Length)
        {
            throw new MetricsFileException(ClientErrorCodes.MetricsNameInvalid,
                $"{full}: a textfile-collector file must be named NAME{Extension} (node_exporter reads no other), e.g. lpatch{Extension}.");
        }

        CheckFolder(folder);
        CheckTarget(full);
        var temp = AtomicFile.TempPathFor(full);
        try
        {
            using (var stream = AtomicFile.CreateNew(temp, ReadableByAll))
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(stream.SafeFileHandle, ReadableByAll); // the umask may have taken the read bits
                }

                stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
            DirectorySync.Flush(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MetricsFileException(ClientErrorCodes.MetricsWriteFailed, $"cannot write {full}: {e.Message}");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static void CheckFolder(string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            if (!Directory.Exists(folder))
            {
                throw Missing(folder);
            }

            return;
        }

        var status = UnixFile.LinkStatusOrNull(folder) ?? throw Missing(folder);
        var self = UnixFile.EffectiveUserId;
        var problem = status.IsSymbolicLink ? "is a symbolic link"
            : !status.IsDirectory ? $"is {status.TypeName}, not a folder"
            : status.OwnerId != self ? $"is owned by uid {status.OwnerId}, not by uid {self} that runs lpatch"
            : status.IsWritableByOthers ? $"is writable by group or others (mode {status.Permissions})"
            : null;
        if (problem is not null)
        {
            throw new MetricsFileException(ClientErrorCodes.MetricsPathUnsafe,
                $"the textfile folder {folder} {problem}; lpatch (root) writes only into a real folder of its own user that others cannot write: "
                + $"install -d -m 0755 {folder} (node_exporter needs to read it, not write it).");
        }
    }

    private static void CheckTarget(string file)
    {
        if (!OperatingSystem.IsLinux() || UnixFile.LinkStatusOrNull(file) is not { } status)
        {
            return;
        }

        var self = UnixFile.EffectiveUserId;
        var problem = status.IsSymbolicLink ? "is a symbolic link"
            : !status.IsRegularFile ? $"is {status.TypeName}, not a regular file"
            : status.OwnerId != self ? $"is owned by uid {status.OwnerId}, not by uid {self} that runs lpatch"
            : null;
        if (problem is not null)
        {
            throw new MetricsFileException(ClientErrorCodes.MetricsPathUnsafe, $"{file} {problem}; remove it (lpatch writes a new one) after checking who put it there.");
        }
    }

    private static MetricsFileException Missing(string folder) => new(ClientErrorCodes.MetricsFolderMissing,
        $"the textfile folder {folder} does not exist: create it (install -d -m 0755 {folder}) and point node_exporter's --collector.textfile.directory at it.");
}

/// <summary>Why <c>lpatch status --prometheus</c> wrote nothing: a stable code and a message naming the path and the fix.</summary>
public sealed class MetricsFileException(ErrorCode error, string message) : Exception(message)
{
    public ErrorCode Error { get; } = error;
}
