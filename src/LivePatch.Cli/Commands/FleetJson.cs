using System.Text.Json.Serialization;
using LivePatch.Core.Repository;

namespace LivePatch.Cli.Commands;

/// <summary>Source-generated (AOT-safe) indented JSON of the fleet answers that <c>lpatch hosts</c> and <c>lpatch cve</c> print.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyList<HostInfo>))]
[JsonSerializable(typeof(HostDetail))]
[JsonSerializable(typeof(FleetSummary))]
[JsonSerializable(typeof(CveExposure))]
internal sealed partial class FleetJson : JsonSerializerContext;
