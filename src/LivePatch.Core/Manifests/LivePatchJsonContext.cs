using System.Text.Json.Serialization;

namespace LivePatch.Core.Manifests;

/// <summary>Source-generated JSON metadata for the signed wire records (trimming and Native AOT safe).</summary>
/// <remarks>
/// Nullable annotations are enforced so a <c>null</c> where the record says non-null is malformed, and duplicate
/// properties are refused: two parsers must never read different values from the same signed bytes.
/// The deepest record nests four levels ($.patches[i].cves[j]); <see cref="MaxDepth"/> refuses anything deeper
/// at the reader, before a value is built, instead of System.Text.Json's default of 64.
/// </remarks>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    RespectNullableAnnotations = true,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = LivePatchJsonContext.MaxDepth)]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(RepositoryIndex))]
[JsonSerializable(typeof(CoverageBin))]
public sealed partial class LivePatchJsonContext : JsonSerializerContext
{
    /// <summary>Deepest JSON nesting read or written: twice what the wire records use.</summary>
    public const int MaxDepth = 8;
}
