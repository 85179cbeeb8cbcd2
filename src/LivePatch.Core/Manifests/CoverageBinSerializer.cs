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

    public static CoverageBin Deserialize(ReadOnlySpan<byte> json)
    {
        RequireKernelCountWithinCap(json);
        var bin = ManifestSerializer.Read(json, LivePatchJsonContext.Default.CoverageBin, ErrorCodes.CoverageMalformed);
        ManifestRules.Validate(bin);
        return bin;
    }

    /// <summary>Counts the elements of <c>$.kernels</c> without building them, refusing past the cap.</summary>
    /// <remarks>
    /// A bin holds up to <see cref="ManifestLimits.MaxCoverageBinEntries"/> entries, far more than a manifest's patches,
    /// and the deserializer would build every entry (about twice the input in objects and strings) before the rules
    /// count them. This pass allocates nothing; anything it cannot read is left to the deserializer to report.
    /// </remarks>
    private static void RequireKernelCountWithinCap(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = LivePatchJsonContext.MaxDepth });
        try
        {
            while (reader.Read())
            {
                if (reader is { TokenType: JsonTokenType.PropertyName, CurrentDepth: 1 } && reader.ValueTextEquals(KernelsProperty)
                    && reader.Read() && reader.TokenType == JsonTokenType.StartArray)
                {
                    CountElements(ref reader);
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON: the deserializer refuses it with the path and position.
        }
    }

    private static void CountElements(ref Utf8JsonReader reader)
    {
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            // Not ThrowUnless: its message would be formatted for every element.
            if (++count > ManifestLimits.MaxCoverageBinEntries)
            {
                throw new LivePatchFormatException(ErrorCodes.CoverageMalformed, $"$.kernels: at most {ManifestLimits.MaxCoverageBinEntries} entries.");
            }

            reader.Skip();
        }
    }
}
