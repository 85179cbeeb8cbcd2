using System.IO.Compression;
using System.Numerics;
using SharpCompress.Compressors.Xz;
using ZstdSharp;
using ZstdSharp.Unsafe;

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

    /// <summary>Output is collected in blocks of this size, so a refused bomb has allocated at most the limit
    /// plus one block (a growing MemoryStream would have doubled past it and copied on the way).</summary>
    private const int OutputBlockSize = 64 * 1024;

    /// <summary>Largest zstd window, as log2: libzstd's own default decoder limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT,
    /// 128 MiB). The window is lowered further to the output limit, which no back-reference can exceed.</summary>
    private const int MaxZstdWindowLog = 27;

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
            using var stream = Open(input, compression, maxBytes);
            return ReadBounded(stream, maxBytes, compression);
        }
        catch (Exception e) when (e is not (LivePatchFormatException or OutOfMemoryException))
        {
            // Each decoder signals corrupt input its own way (InvalidDataException, SharpCompress's
            // InvalidFormatException, ZstdException, even IndexOutOfRange): to callers it is one format error.
            throw new LivePatchFormatException(ErrorCodes.DecompressionFailed, $"The {compression} stream is corrupt: {e.Message}");
        }
    }

    private static Stream Open(Stream input, ModuleCompression compression, int maxBytes) => compression switch
    {
        ModuleCompression.Gzip => new GZipStream(input, CompressionMode.Decompress),
        ModuleCompression.Xz => new XZStream(input),
        ModuleCompression.Zstd => OpenZstd(input, maxBytes),
        _ => throw new ArgumentOutOfRangeException(nameof(compression)),
    };

    /// <summary>A zstd frame header declares its window, and the decoder allocates it up front: a 20-byte frame
    /// would otherwise cost 128 MiB. A window larger than the output limit is refused (ZSTD_d_windowLogMax).</summary>
    private static DecompressionStream OpenZstd(Stream input, int maxBytes)
    {
        var stream = new DecompressionStream(input);
        var windowLog = Math.Clamp(64 - BitOperations.LeadingZeroCount((ulong)Math.Max(maxBytes - 1, 1)), 10, MaxZstdWindowLog);
        stream.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, windowLog);
        return stream;
    }

    /// <summary>Reads until the end of the stream or the limit, whichever comes first: the limit is enforced
    /// while decoding, so a stream that declares or produces gigabytes stops after <paramref name="maxBytes"/>.</summary>
    private static byte[] ReadBounded(Stream stream, int maxBytes, ModuleCompression compression)
    {
        var blocks = new List<byte[]>();
        long total = 0;
        while (true)
        {
            var block = new byte[OutputBlockSize];
            var read = stream.ReadAtLeast(block, block.Length, throwOnEndOfStream: false);
            total += read;
            LivePatchFormatException.ThrowUnless(total <= maxBytes, ErrorCodes.FileTooLarge,
                $"The {compression} stream decompresses to more than the limit of {maxBytes} bytes.");
            blocks.Add(block);
            if (read < block.Length)
            {
                break;
            }
        }

        var output = new byte[total];
        for (var i = 0; i < blocks.Count; i++)
        {
            var length = (int)Math.Min(OutputBlockSize, total - ((long)i * OutputBlockSize));
            blocks[i].AsSpan(0, length).CopyTo(output.AsSpan(i * OutputBlockSize));
        }

        return output;
    }
}
