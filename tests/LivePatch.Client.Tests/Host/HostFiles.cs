using System.Diagnostics;
using LivePatch.Client.Host;

namespace LivePatch.Client.Tests.Host;

/// <summary>Makes the hostile files the private-path tests need: foreign owners and FIFOs, with the system's own tools.</summary>
/// <remarks>Changing a file's owner needs root; CI runs these tests as root, as lpatch itself runs.</remarks>
internal static class HostFiles
{
    /// <summary>nobody on most distributions; any uid other than the test's own will do.</summary>
    public const uint ForeignUid = 65534;

    public const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void GiveToForeignUser(string path) => Run("chown", "-h", $"{ForeignUid}:{ForeignUid}", path);

    public static void MakeFifo(string path) => Run("mkfifo", "-m", "600", path);

    /// <summary>The owner as lstat reports it, to show a refusal changed nothing.</summary>
    public static uint OwnerOf(string path) => UnixFile.LinkStatusOrNull(path)!.Value.OwnerId;

    private static void Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command, arguments) { RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)} failed (is the test running as root?): {error}");
    }
}
