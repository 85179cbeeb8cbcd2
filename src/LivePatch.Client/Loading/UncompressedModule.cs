using LivePatch.Core;
using LivePatch.Core.Modules;

namespace LivePatch.Client.Loading;

/// <summary>A verified module as a plain .ko: the cache file itself, or a temporary decompressed copy deleted on dispose.</summary>
/// <remarks>
/// kmod's insmod decompresses by magic only when built with zlib/xz/zstd support, and kpatch reads the module
/// with readelf first: handing both a plain ELF file works everywhere.
/// </remarks>
internal sealed class UncompressedModule : IDisposable
{
    /// <summary>Far above any livepatch module; the update engine has already decompressed and verified this file.</summary>
    private const int MaxDecompressedBytes = 256 * 1024 * 1024;

    private readonly bool _temporary;

    private UncompressedModule(string path, bool temporary)
    {
        Path = path;
        _temporary = temporary;
    }

    public string Path { get; }

    /// <summary>The plain module for <paramref name="file"/>, written next to it when the file is compressed.</summary>
    /// <exception cref="IOException">The file cannot be read or written.</exception>
    /// <exception cref="LivePatchFormatException">The compressed stream is corrupt or too large.</exception>
    public static async Task<UncompressedModule> PrepareAsync(string file, string name, CancellationToken cancellation)
    {
        var compression = await DetectAsync(file, cancellation).ConfigureAwait(false);
        if (compression == ModuleCompression.None)
        {
            return new UncompressedModule(file, temporary: false);
        }

        var bytes = await File.ReadAllBytesAsync(file, cancellation).ConfigureAwait(false);
        var plain = ModuleDecompressor.Decompress(bytes, compression, MaxDecompressedBytes);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file))!;
        var temp = System.IO.Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.ko");
        AtomicFile.Write(temp, plain.Span, AtomicFile.OwnerOnly);
        return new UncompressedModule(temp, temporary: true);
    }

    /// <summary>The compression by magic bytes, as kmod does (libkmod-file.c); the suffix is not trusted.</summary>
    public static async Task<ModuleCompression> DetectAsync(string file, CancellationToken cancellation)
    {
        var head = new byte[8];
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
        var read = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellation).ConfigureAwait(false);
        return ModuleDecompressor.Detect(head.AsSpan(0, read));
    }

    public void Dispose()
    {
        if (_temporary)
        {
            File.Delete(Path);
        }
    }
}
