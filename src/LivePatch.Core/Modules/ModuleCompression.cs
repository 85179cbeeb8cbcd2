using System.IO.Compression;
using SharpCompress.Compressors.Xz;
using ZstdSharp;

namespace LivePatch.Core.Modules;

/// <summary>How a module file is compressed (CONFIG_MODULE_COMPRESS_*); the signature sits inside the stream.</summary>
public enum ModuleCompression
{
    None,
    Gzip,
    Xz,
    Zstd,
}

/// <summary>Detects a module's compression by its magic bytes and decompresses it with a size bound.</summary>
/// <remarks>
/// The kernel signs first and compresses after (scripts/Makefile.modinst), and kmod decompresses by magic
/// (libkmod-file.c), so the file name's suffix is not trusted. xz uses SharpCompress's managed decoder and
/// zstd ZstdSharp: both are pure C# (no native library on the host) and bounded by reading through a stream.
/// </remarks>
public static class ModuleDecompressor
{
    private static ReadOnlySpan<byte> GzipMagic => [0x1f, 0x8b];
    private static ReadOnlySpan<byte> XzMagic => [0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00];
    private static ReadOnlySpan<byte> ZstdMagic => [0x28, 0xb5, 0x2f, 0xfd];

    public static ModuleCompression Detect(ReadOnlySpan<byte> data) =>
        data.StartsWith(GzipMagic) ? ModuleCompression.Gzip
        : data.StartsWith(XzMagic) ? ModuleCompression.Xz
        : data.StartsWith(ZstdMagic) ? ModuleCompression.Zstd
        : ModuleCompression.None;

    /// <summary>The uncompressed bytes (the input itself when not compressed); more than <paramref name="maxBytes"/> is refused.</summary>
    public static ReadOnlyMemory<byte> Decompress(ReadOnlyMemory<byte> data, ModuleCompression compression, int maxBytes)
    {
        if (compression == ModuleCompression.None)
        {
            return data;
        }

        try
        {
            using var input = new MemoryStream(data.ToArray(), writable: false);
            using var stream = Open(input, compression);
            return ReadBounded(stream, maxBytes, compression);
        }
        catch (Exception e) when (e is not (LivePatchFormatException or OutOfMemoryException))
        {
            // Each decoder signals corrupt input its own way (InvalidDataException, SharpCompress's
            // InvalidFormatException, ZstdException, even IndexOutOfRange): to callers it is one format error.
            throw new LivePatchFormatException(ErrorCodes.DecompressionFailed, $"The {compression} stream is corrupt: {e.Message}");
        }
    }

    private static Stream Open(Stream input, ModuleCompression compression) => compression switch
    {
        ModuleCompression.Gzip => new GZipStream(input, CompressionMode.Decompress),
        ModuleCompression.Xz => new XZStream(input),
        ModuleCompression.Zstd => new DecompressionStream(input),
        _ => throw new ArgumentOutOfRangeException(nameof(compression)),
    };

    private static byte[] ReadBounded(Stream stream, int maxBytes, ModuleCompression compression)
    {
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            LivePatchFormatException.ThrowUnless(output.Length + read <= maxBytes, ErrorCodes.FileTooLarge,
                $"The {compression} stream decompresses to more than the limit of {maxBytes} bytes.");
            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }
}
