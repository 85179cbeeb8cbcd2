using System.Text.Json.Serialization;
using LivePatch.Core.Manifests;

namespace LivePatch.Cli;

/// <summary>Source-generated (AOT-safe) JSON for what lpatch prints for people: indented, camelCase like the wire form.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Manifest))]
internal sealed partial class IndentedJson : JsonSerializerContext;
