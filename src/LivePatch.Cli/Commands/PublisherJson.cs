using System.Text.Json.Serialization;
using LivePatch.Core.Repository;

namespace LivePatch.Cli.Commands;

/// <summary>Source-generated (AOT-safe) indented JSON of the repository records that the publisher commands print.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PatchInfo))]
[JsonSerializable(typeof(PublishedBatch))]
[JsonSerializable(typeof(IReadOnlyList<PatchInfo>))]
[JsonSerializable(typeof(IReadOnlyList<KernelInfo>))]
[JsonSerializable(typeof(ApiKeyInfo))]
[JsonSerializable(typeof(IReadOnlyList<ApiKeyInfo>))]
[JsonSerializable(typeof(IReadOnlyList<AuditEntry>))]
internal sealed partial class PublisherJson : JsonSerializerContext;
