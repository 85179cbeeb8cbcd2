namespace LivePatch.Core;

/// <summary>Reads whole files with an upper bound, so a wrong path (a device, a huge file) cannot exhaust memory.</summary>
public static class FileBytes
{
    /// <summary>Reads at most <paramref name="maxBytes"/>; more is a <see cref="LivePatchFormatException"/> (file-too-large).</summary>
    public static byte[] ReadBounded(string path, int maxBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        // Files in /sys report a length of 4096 or 0 whatever they hold, so read until the end instead.
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            LivePatchFormatException.ThrowUnless(buffer.Length + read <= maxBytes, ErrorCodes.FileTooLarge,
                $"{path} is larger than the limit of {maxBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
