using System.Text.Json.Serialization;

namespace LivePatch.Core.Manifests;

/// <summary>Source-generated JSON metadata for the signed wire records (trimming and Native AOT safe).</summary>
/// <remarks>
/// Nullable annotations are enforced so a <c>null</c> where the record says non-null is malformed, and duplicate
/// properties are refused: two parsers must never read different values from the same signed bytes.
/// </remarks>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    RespectNullableAnnotations = true,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(RepositoryIndex))]
public sealed partial class LivePatchJsonContext : JsonSerializerContext;
