using LivePatch.Core;
using LivePatch.Core.Kernel;

namespace LivePatch.Client.Updates;

/// <summary>The running kernel as the host reports it: build ID (exact identity) and release (metadata, vermagic check).</summary>
public sealed record HostKernel(BuildId BuildId, string Release)
{
    /// <summary>Step 1: reads /sys/kernel/notes and /proc/sys/kernel/osrelease (paths configurable for tests).</summary>
    public static HostKernel Read(string notesPath, string releasePath)
    {
        var buildId = BuildIdReader.ReadRunningKernel(notesPath);
        var release = System.Text.Encoding.UTF8.GetString(FileBytes.ReadBounded(releasePath, 4096)).Trim();
        LivePatchFormatException.ThrowUnless(release.Length > 0 && !release.Any(char.IsWhiteSpace), new ErrorCode(ClientErrorCodes.KernelUnreadable, ErrorCategory.Invalid),
            $"{releasePath} does not hold a kernel release.");
        return new HostKernel(buildId, release);
    }
}
