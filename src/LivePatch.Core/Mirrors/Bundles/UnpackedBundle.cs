using System.Security.Cryptography;

namespace LivePatch.Core.Mirrors.Bundles;

/// <summary>A bundle unpacked into a private folder, its blobs already checked against their names: a mirror source that
/// the sync (or a site repository's import) then verifies document by document, before anything is written.</summary>
/// <remarks>Blobs are hashed here, all of them, so that a tampered module is refused before the first write rather than
/// halfway through a merge; documents are verified by the sync's signature checks as from any other source.</remarks>
public sealed class UnpackedBundle : IDisposable
{
    private UnpackedBundle(string folder, BundleContents contents)
    {
        Folder = folder;
        Contents = contents;
        Source = new DirectoryMirrorSource(folder);
    }

    /// <summary>The private (0700) folder holding the tree.</summary>
    public string Folder { get; }

    public BundleContents Contents { get; }

    /// <summary>The unpacked tree, to be verified.</summary>
    public IMirrorSource Source { get; }

    /// <summary>Unpacks <paramref name="bundle"/> under <paramref name="parent"/> (null: the system's temp folder), within
    /// <paramref name="limits"/>; throws <see cref="LivePatchFormatException"/> for a bundle that is damaged, cut short,
    /// over a limit, or holds a blob that is not what its name says.</summary>
    public static async Task<UnpackedBundle> UnpackAsync(Stream bundle, string? parent, BundleLimits limits, IProgress<long>? progress,
        CancellationToken cancellation)
    {
        var folder = Path.Combine(Path.GetFullPath(parent ?? Path.GetTempPath()), $"lpatch-bundle-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        try
        {
            var contents = await BundleExtractor.ExtractAsync(bundle, folder, limits, progress, cancellation).ConfigureAwait(false);
            await CheckBlobNamesAsync(folder, cancellation).ConfigureAwait(false);
            return new UnpackedBundle(folder, contents);
        }
        catch
        {
            Delete(folder);
            throw;
        }
    }

    public void Dispose() => Delete(Folder);

    private static async Task CheckBlobNamesAsync(string folder, CancellationToken cancellation)
    {
        var blobs = Path.Combine(folder, "v1", "blobs", "sha256");
        if (!Directory.Exists(blobs))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(blobs))
        {
            await using var stream = File.OpenRead(file);
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellation).ConfigureAwait(false));
            var name = Path.GetFileName(file);
            LivePatchFormatException.ThrowUnless(actual == name, ErrorCodes.MirrorBlobMismatch,
                $"Bundle entry {MirrorTree.BlobPath(name)} has SHA-256 {actual}: it is not the module its name says (tampered or damaged).");
        }
    }

    private static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // already gone
        }
        catch (IOException)
        {
            // best effort: a temp folder left behind costs nothing but space
        }
    }
}
