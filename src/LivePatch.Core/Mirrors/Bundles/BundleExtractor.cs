using System.Formats.Tar;
using ZstdSharp;

namespace LivePatch.Core.Mirrors.Bundles;

/// <summary>What a bundle unpacked to.</summary>
public sealed record BundleContents(string Directory, int Entries, long Bytes);

/// <summary>Unpacks a bundle into a private staging folder, refusing anything that is not a regular file of the read tree
/// within <see cref="BundleLimits"/>; nothing is trusted yet (the mirror sync verifies the staged tree next).</summary>
/// <remarks>Names are checked with <see cref="MirrorTree.KindOf"/> before any path is built from them, so no entry can
/// name a file outside the folder; links, devices and folders are refused, not skipped, since a real bundle never holds
/// them.</remarks>
public static class BundleExtractor
{
    public static async Task<BundleContents> ExtractAsync(Stream bundle, string stagingDirectory, BundleLimits limits,
        IProgress<long>? bytesUnpacked, CancellationToken cancellation)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        try
        {
            await using var zstd = new DecompressionStream(bundle, leaveOpen: true);
            await using var tar = new TarReader(zstd, leaveOpen: true);
            while (await tar.GetNextEntryAsync(copyData: false, cancellation) is { } entry)
            {
                CheckEntry(entry, seen, limits);
                total += entry.Length;
                LivePatchFormatException.ThrowUnless(total <= limits.MaxTotalBytes, ErrorCodes.BundleTooLarge,
                    $"The bundle unpacks to more than {limits.MaxTotalBytes} bytes.");
                await CopyExactlyAsync(entry, Path.Combine(stagingDirectory, entry.Name), cancellation);
                bytesUnpacked?.Report(total);
            }

            await DrainAsync(zstd, cancellation);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ZstdException or FormatException)
        {
            throw new LivePatchFormatException(ErrorCodes.BundleCorrupt, $"The bundle is damaged or cut short: {e.Message}");
        }

        LivePatchFormatException.ThrowUnless(seen.Contains(MirrorTree.IndexPath), ErrorCodes.BundleIndexMissing,
            $"The bundle has no {MirrorTree.IndexPath}: it is not a bundle, or it was cut short (the index is written last).");
        return new BundleContents(stagingDirectory, seen.Count, total);
    }

    /// <summary>Reads what follows the tar's end to the end of the zstd frame, so that the frame's checksum is checked: a
    /// damaged byte anywhere is refused, even in an entry the import would not have needed.</summary>
    private static async Task DrainAsync(Stream zstd, CancellationToken cancellation)
    {
        const int MaxTrailingBytes = 64 * 1024; // tar writers pad to a record (10 KiB); anything much longer is not a bundle
        var buffer = new byte[16 * 1024];
        long trailing = 0;
        int read;
        while ((read = await zstd.ReadAsync(buffer, cancellation)) > 0)
        {
            trailing += read;
            LivePatchFormatException.ThrowUnless(trailing <= MaxTrailingBytes, ErrorCodes.BundleCorrupt,
                $"The bundle holds more than {MaxTrailingBytes} bytes after the end of its archive.");
        }
    }

    private static void CheckEntry(TarEntry entry, HashSet<string> seen, BundleLimits limits)
    {
        LivePatchFormatException.ThrowUnless(entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile,
            ErrorCodes.BundleEntryInvalid, $"Bundle entry '{Printable(entry.Name)}' is a {entry.EntryType}, not a regular file.");
        var kind = MirrorTree.KindOf(entry.Name) ?? throw new LivePatchFormatException(ErrorCodes.BundleEntryInvalid,
            $"Bundle entry '{Printable(entry.Name)}' is not a file of the read tree (v1/index, v1/coverage/…, v1/manifests/…, v1/blobs/sha256/…).");
        LivePatchFormatException.ThrowUnless(seen.Add(entry.Name), ErrorCodes.BundleEntryInvalid,
            $"Bundle entry '{entry.Name}' appears twice.");
        LivePatchFormatException.ThrowUnless(seen.Count <= limits.MaxEntries, ErrorCodes.BundleTooLarge,
            $"The bundle has more than {limits.MaxEntries} entries.");
        LivePatchFormatException.ThrowUnless(entry.Length <= limits.MaxBytesOf(kind), ErrorCodes.BundleTooLarge,
            $"Bundle entry '{entry.Name}' is {entry.Length} bytes; a {kind} may have at most {limits.MaxBytesOf(kind)}.");
    }

    // The header's size is what the tar says; the data must really be there (a bundle cut inside an entry ends early).
    private static async Task CopyExactlyAsync(TarEntry entry, string path, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        try
        {
            await MirrorStreams.CopyExactlyAsync(entry.DataStream ?? Stream.Null, output, entry.Length, $"bundle entry '{entry.Name}'", cancellation);
        }
        catch (EndOfStreamException e)
        {
            throw new LivePatchFormatException(ErrorCodes.BundleCorrupt, $"{e.Message} The bundle was cut short.");
        }
    }

    private static string Printable(string name) =>
        new(name.Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
