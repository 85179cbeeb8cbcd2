namespace LivePatch.Core.Repository;

/// <summary>One event of the repository's audit trail as <c>GET /v1/audit</c> shows it: what was done or refused, by which API
/// key, from where (docs/operations.md, "Audit trail").</summary>
/// <remarks>Only the members the action has are present: a publish has no <see cref="Reason"/>, a failed authentication no
/// <see cref="PatchId"/>.</remarks>
public sealed record AuditEntry
{
    /// <summary>Rises with every event: the listing's order and its <c>after</c> cursor.</summary>
    public required long Id { get; init; }

    public required DateTimeOffset Time { get; init; }

    /// <summary><c>publish</c>, <c>publish-batch</c>, <c>promote</c>, <c>revoke</c>, <c>patch-delete</c>, <c>api-key-create</c>, <c>api-key-delete</c>,
    /// <c>upstream-sync</c>, <c>upstream-import</c> or <c>auth-failed</c>.</summary>
    public required string Action { get; init; }

    /// <summary><c>ok</c>, or the stable problem code that refused the request.</summary>
    public required string Outcome { get; init; }

    /// <summary>The API key's id (a configured key's name); for a failed authentication the id the presented key claims, if any.</summary>
    public string? KeyId { get; init; }

    /// <summary>The API key's name; <c>scheduler</c> for the upstream sync timer, <c>startup</c> for the bootstrap admin key.</summary>
    public string? KeyName { get; init; }

    /// <summary>The client's address: the peer, or what a trusted proxy said (<c>LivePatch:TrustedProxies</c>).</summary>
    public string? ClientAddress { get; init; }

    public int? PatchId { get; init; }

    public string? Channel { get; init; }

    /// <summary>How many kernels (build IDs) the action named.</summary>
    public int? BuildIds { get; init; }

    /// <summary>A revocation's reason; for a failed authentication why it failed (<c>invalid-key</c>, <c>missing-key</c>,
    /// <c>not-bearer</c>, <c>forbidden</c>).</summary>
    public string? Reason { get; init; }

    /// <summary>What else the action was about: the API key created or deleted, the patch's name and level, the upstream source.</summary>
    public string? Target { get; init; }

    /// <summary>For a failed authentication: how many before this one were logged but not kept here (a flood is stored at a
    /// bounded rate, so it cannot push the writes out of the trail).</summary>
    public long? NotStored { get; init; }
}
