namespace LivePatch.Core.Manifests;

/// <summary>A withdrawn patch: hosts must not load it and replace or remove it if loaded.</summary>
public sealed record RevokedPatch
{
    public required string Name { get; init; }

    public required int Level { get; init; }

    public required string Sha256 { get; init; }

    public required string Reason { get; init; }

    public required DateTimeOffset RevokedAt { get; init; }
}
