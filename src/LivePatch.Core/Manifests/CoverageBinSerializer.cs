using System.Text.Json;

namespace LivePatch.Core.Manifests;

/// <summary>Reads and writes coverage bins as UTF-8 JSON, validating both ways (as <see cref="ManifestSerializer"/>).</summary>
/// <remarks>
/// Every failure is a <see cref="LivePatchFormatException"/> with <see cref="ErrorCodes.CoverageMalformed"/> and a
/// message naming the JSON path. Writing validates too, so the server can never sign a bin a host would refuse.
/// </remarks>
public static class CoverageBinSerializer
{
    private static ReadOnlySpan<byte> KernelsProperty => "kernels"u8;

    public static byte[] Serialize(CoverageBin bin)
    {
        ArgumentNullException.ThrowIfNull(bin);
        ManifestRules.Validate(bin);
        return JsonSerializer.SerializeToUtf8Bytes(bin, LivePatchJsonContext.Default.CoverageBin);
    }

    /// <summary>Writes <paramref name="header"/> (its own <see cref="CoverageBin.Kernels"/> must be empty) with
    /// <paramref name="kernels"/> as its kernels: the same bytes <see cref="Serialize(CoverageBin)"/> writes for the same bin,
    /// validated by the same rules, without an object and two strings per kernel.</summary>
    /// <remarks>A bin is re-signed whenever one of its kernels changes: at 100,000 kernels that is about 400 entries,
    /// rendered for every bin a publish touches (all 256 for a batch). The entries are plain ASCII (hex, digits), which
    /// the serializer writes unescaped, so they are written directly; the header goes through the serializer.</remarks>
    public static byte[] Serialize(CoverageBin header, ReadOnlySpan<CoveredEntry> kernels)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (header.Kernels.Count != 0)
        {
            throw new ArgumentException("The header's own kernels must be empty: the entries are given apart.", nameof(header));
        }

        var head = Serialize(header); // validated: schema, names, prefix, version, dates
        RequireTail(head);
        ManifestRules.RequireCount(kernels.Length, ManifestLimits.MaxCoverageBinEntries, ErrorCodes.CoverageMalformed, "$.kernels");
        var prefix = head.Length - "[]}"u8.Length; // up to "kernels":
        var length = prefix + "[]}"u8.Length + Math.Max(kernels.Length - 1, 0); // the brackets, the end and the commas
        for (var i = 0; i < kernels.Length; i++)
        {
            var k = kernels[i];
            ManifestRules.ValidateCoveredKernel(header.Prefix, i > 0 ? kernels[i - 1].BuildId : null, k.BuildId, k.Version, k.Size,
                new FieldPath("$.kernels", i));
            length += EntryLength(k);
        }

        // One array of the exact size: a bin of 400 kernels is about 64 KB, and a larger buffer copied would be two
        // allocations per bin, the first on the large object heap.
        var output = new byte[length];
        head.AsSpan(0, prefix).CopyTo(output);
        var at = prefix;
        output[at++] = (byte)'[';
        for (var i = 0; i < kernels.Length; i++)
        {
            if (i > 0)
            {
                output[at++] = (byte)',';
            }

            at += WriteEntry(output.AsSpan(at), kernels[i]);
        }

        "]}"u8.CopyTo(output.AsSpan(at));
        return output;
    }

    /// <summary>What the serializer writes for a bin without kernels, at its very end.</summary>
    private static ReadOnlySpan<byte> EmptyKernelsTail => "\"kernels\":[]}"u8;

    // {"buildId":"","version":,"sha256":"","size":}: the bytes around the values.
    private const int EntryPunctuation = 45;

    private static int EntryLength(CoveredEntry k) => EntryPunctuation + k.BuildId.Length + Digits(k.Version) + 64 + Digits((ulong)k.Size);

    private static int Digits(ulong value)
    {
        var digits = 1;
        while (value >= 10)
        {
            (value, digits) = (value / 10, digits + 1);
        }

        return digits;
    }

    private static void RequireTail(byte[] head)
    {
        if (!head.AsSpan().EndsWith(EmptyKernelsTail))
        {
            throw new InvalidOperationException("The bin's header does not end with its empty kernels: the record's last property must be 'kernels'.");
        }
    }

    // {"buildId":"…","version":N,"sha256":"…","size":N}, as the source-generated serializer writes a CoveredKernel;
    // span has exactly EntryLength(k) bytes left for it or more. Returns how many it wrote.
    private static int WriteEntry(Span<byte> span, CoveredEntry k)
    {
        var at = Copy("{\"buildId\":\""u8, span);
        at += System.Text.Encoding.ASCII.GetBytes(k.BuildId, span[at..]);
        at += Copy("\",\"version\":"u8, span[at..]);
        System.Buffers.Text.Utf8Formatter.TryFormat(k.Version, span[at..], out var written);
        at += written;
        at += Copy(",\"sha256\":\""u8, span[at..]);
        Span<byte> sha = stackalloc byte[32];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(sha, k.Sha256High);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(sha[16..], k.Sha256Low);
        Convert.TryToHexStringLower(sha, span[at..], out written);
        at += written;
        at += Copy("\",\"size\":"u8, span[at..]);
        System.Buffers.Text.Utf8Formatter.TryFormat(k.Size, span[at..], out written);
        at += written;
        span[at++] = (byte)'}';
        return at;
    }

    private static int Copy(ReadOnlySpan<byte> text, Span<byte> to)
    {
        text.CopyTo(to);
        return text.Length;
    }

    public static CoverageBin Deserialize(ReadOnlySpan<byte> json)
    {
        RequireKernelCountWithinCap(json);
        var bin = ManifestSerializer.Read(json, LivePatchJsonContext.Default.CoverageBin, ErrorCodes.CoverageMalformed);
        ManifestRules.Validate(bin);
        return bin;
    }

    /// <summary>Refuses a bin of more than <see cref="ManifestLimits.MaxCoverageBinEntries"/> entries before it is built.</summary>
    /// <remarks>A bin may hold far more entries than a manifest holds patches, and the deserializer would build every entry
    /// (about twice the input in objects and strings) before the rules count them.</remarks>
    private static void RequireKernelCountWithinCap(ReadOnlySpan<byte> json)
    {
        if (JsonArrays.HasMoreThan(json, KernelsProperty, ManifestLimits.MaxCoverageBinEntries))
        {
            throw new LivePatchFormatException(ErrorCodes.CoverageMalformed, $"$.kernels: at most {ManifestLimits.MaxCoverageBinEntries} entries.");
        }
    }
}
