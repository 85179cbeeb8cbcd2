using System.Text.Json.Serialization;

namespace LivePatch.Core.Repository;

/// <summary>Source-generated JSON (AOT-safe) for the repository API records: camelCase, nulls left out.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PatchInfo))]
[JsonSerializable(typeof(KernelInfo))]
[JsonSerializable(typeof(PublishBatch))]
[JsonSerializable(typeof(PublishedBatch))]
[JsonSerializable(typeof(ListPage<PatchInfo>))]
[JsonSerializable(typeof(ListPage<KernelInfo>))]
[JsonSerializable(typeof(PromoteRequest))]
[JsonSerializable(typeof(RevokeRequest))]
[JsonSerializable(typeof(CreateApiKeyRequest))]
[JsonSerializable(typeof(ApiKeyInfo))]
[JsonSerializable(typeof(IReadOnlyList<ApiKeyInfo>))]
[JsonSerializable(typeof(ProblemInfo))]
[JsonSerializable(typeof(UpstreamSyncSummary))]
[JsonSerializable(typeof(HostReport))]
[JsonSerializable(typeof(ListPage<HostInfo>))]
[JsonSerializable(typeof(HostDetail))]
[JsonSerializable(typeof(FleetSummary))]
[JsonSerializable(typeof(CveExposure))]
[JsonSerializable(typeof(PatchHealth))]
[JsonSerializable(typeof(ListPage<AuditEntry>))]
public sealed partial class RepositoryJsonContext : JsonSerializerContext;
