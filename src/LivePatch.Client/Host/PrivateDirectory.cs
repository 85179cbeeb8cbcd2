using System.Runtime.Versioning;
using LivePatch.Core;

namespace LivePatch.Client.Host;

/// <summary>Makes sure a state or cache directory is one only lpatch's own user controls, creating it (0700) if missing.</summary>
/// <remarks>
/// A missing directory is created with mode 0700, parents included, and each new entry is fsynced into its parent.
/// An existing one is accepted when it is a real directory (not a symbolic link), owned by the effective user, and
/// not writable by group or others; read access for others is not refused, so an own 0755 directory is accepted
/// (an administrator may have made it so to let monitoring read the status). Nothing existing is ever changed: a
/// refusal is an <see cref="UnsafePathException"/> that says what to fix. Owner and type come from lstat on Linux;
/// elsewhere (development machines) the owner is not checked.
/// </remarks>
public static class PrivateDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> (0700) if missing, else checks it is safe to trust.</summary>
    /// <param name="path">The directory.</param>
    /// <param name="setting">The client.json setting it comes from, for the message (e.g. <c>stateDirectory</c>).</param>
    /// <exception cref="UnsafePathException">It exists and is a link, not a directory, foreign-owned or writable by others.</exception>
    public static void Ensure(string path, string setting)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!OperatingSystem.IsLinux())
        {
            EnsureWithoutOwner(full, setting);
            return;
        }

        if (UnixFile.LinkStatusOrNull(full) is null)
        {
            Create(full);
        }

        // Checked after creating too: mkdir succeeds quietly on what someone else put there in the meantime.
        var status = UnixFile.LinkStatusOrNull(full)
            ?? throw new IOException($"{full} vanished right after it was created.");
        Check(full, setting, status);
    }

    [SupportedOSPlatform("linux")]
    private static void Create(string path)
    {
        var missing = new List<string>();
        for (var dir = path; dir is not null && UnixFile.LinkStatusOrNull(dir) is null; dir = Path.GetDirectoryName(dir))
        {
            missing.Add(dir);
        }

        // One level at a time, top-down: .NET would give missing parents the umask's mode (0755), not 0700, and each new
        // entry reaches the disk inside a parent that is already there.
        for (var i = missing.Count - 1; i >= 0; i--)
        {
            Directory.CreateDirectory(missing[i], OwnerOnly);
            DirectorySync.Flush(Path.GetDirectoryName(missing[i])!);
        }
    }

    private static void Check(string path, string setting, UnixFileStatus status)
    {
        if (status.IsSymbolicLink)
        {
            throw Refuse(path, setting, "is a symbolic link, and lpatch does not follow links for its state",
                $"replace it with a real directory (rm {path} && mkdir -m 700 {path}) or set {setting} to the link's target");
        }

        if (!status.IsDirectory)
        {
            throw Refuse(path, setting, $"is {status.TypeName}, not a directory",
                $"move it away (mv {path} {path}.old) or choose another {setting}");
        }

        var self = UnixFile.EffectiveUserId;
        if (status.OwnerId != self)
        {
            throw Refuse(path, setting, $"is owned by uid {status.OwnerId}, not by uid {self} that runs lpatch",
                $"chown {OwnerName(self)} {path}, after checking what it holds");
        }

        if (status.IsWritableByOthers)
        {
            throw Refuse(path, setting, $"is writable by group or others (mode {status.Permissions})", $"chmod 700 {path}");
        }
    }

    /// <summary>Windows and macOS: no lstat owner here; links, type and (off Windows) the mode are still checked.</summary>
    private static void EnsureWithoutOwner(string path, string setting)
    {
        var info = new DirectoryInfo(path);
        if (info.LinkTarget is not null)
        {
            throw Refuse(path, setting, "is a symbolic link, and lpatch does not follow links for its state",
                $"replace it with a real directory or set {setting} to the link's target");
        }

        if (File.Exists(path))
        {
            throw Refuse(path, setting, "is a file, not a directory", $"move it away or choose another {setting}");
        }

        if (!info.Exists)
        {
            AtomicFile.EnsureOwnerOnlyDirectory(path);
        }
        else if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw Refuse(path, setting, "is writable by group or others", $"chmod 700 {path}");
        }
    }

    private static string OwnerName(uint uid) => uid == 0 ? "root" : uid.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static UnsafePathException Refuse(string path, string setting, string problem, string fix) =>
        new(path, $"{setting} {path} {problem}; fix: {fix}.");
}
