using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LivePatch.Core.Manifests;

/// <summary>Reads and writes manifests and repository indexes as UTF-8 JSON, validating both ways.</summary>
/// <remarks>
/// Writing validates too, so the server can never sign a manifest a client would refuse to parse.
/// Every failure is a <see cref="LivePatchFormatException"/> with <see cref="ErrorCodes.ManifestMalformed"/>
/// or <see cref="ErrorCodes.IndexMalformed"/> and a message naming the JSON path.
/// </remarks>
public static class ManifestSerializer
{
    public static byte[] Serialize(Manifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ManifestRules.Validate(manifest);
        return JsonSerializer.SerializeToUtf8Bytes(manifest, LivePatchJsonContext.Default.Manifest);
    }

    public static Manifest Deserialize(ReadOnlySpan<byte> json)
    {
        var manifest = Read(json, LivePatchJsonContext.Default.Manifest, ErrorCodes.ManifestMalformed);
        ManifestRules.Validate(manifest);
        return manifest;
    }

    public static byte[] Serialize(RepositoryIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        ManifestRules.Validate(index);
        return JsonSerializer.SerializeToUtf8Bytes(index, LivePatchJsonContext.Default.RepositoryIndex);
    }

    public static RepositoryIndex DeserializeIndex(ReadOnlySpan<byte> json)
    {
        var index = Read(json, LivePatchJsonContext.Default.RepositoryIndex, ErrorCodes.IndexMalformed);
        ManifestRules.Validate(index);
        return index;
    }

    /// <summary>Deserializes with the context's bounded options (depth, duplicates, nullability), failing with <paramref name="code"/>.</summary>
    internal static T Read<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> typeInfo, ErrorCode code)
        where T : class
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(json, typeInfo);
        }
        catch (JsonException e)
        {
            // JsonException carries the path and position; its message already names the property.
            var where = $"path {e.Path ?? "$"}, line {e.LineNumber}, byte {e.BytePositionInLine}";
            throw new LivePatchFormatException(code, $"Invalid {typeof(T).Name} JSON at {where}: {e.Message}");
        }

        return value ?? throw new LivePatchFormatException(code, $"{typeof(T).Name} JSON is null.");
    }
}
