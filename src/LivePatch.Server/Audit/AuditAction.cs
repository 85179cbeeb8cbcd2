using LivePatch.Server.Publishing;

namespace LivePatch.Server.Audit;

/// <summary>One kind of audited event: its stable name (the <c>action</c> of <c>GET /v1/audit</c>) and the EventId its log
/// line carries (category <see cref="AuditTrail.Category"/>), both listed in docs/operations.md.</summary>
public sealed record AuditAction(string Name, EventId EventId)
{
    public static readonly AuditAction Publish = new("publish", new(3001, "AuditPublish"));
    public static readonly AuditAction Promote = new("promote", new(3002, "AuditPromote"));
    public static readonly AuditAction Revoke = new("revoke", new(3003, "AuditRevoke"));
    public static readonly AuditAction PatchDelete = new("patch-delete", new(3004, "AuditPatchDelete"));
    public static readonly AuditAction PublishBatch = new("publish-batch", new(3005, "AuditPublishBatch"));
    public static readonly AuditAction ApiKeyCreate = new("api-key-create", new(3011, "AuditApiKeyCreate"));
    public static readonly AuditAction ApiKeyDelete = new("api-key-delete", new(3012, "AuditApiKeyDelete"));
    public static readonly AuditAction UpstreamSync = new("upstream-sync", new(3021, "AuditUpstreamSync"));
    public static readonly AuditAction UpstreamImport = new("upstream-import", new(3022, "AuditUpstreamImport"));
    public static readonly AuditAction AuthFailed = new("auth-failed", new(3031, "AuditAuthFailed"));

    public static IReadOnlyList<AuditAction> All { get; } =
        [Publish, PublishBatch, Promote, Revoke, PatchDelete, ApiKeyCreate, ApiKeyDelete, UpstreamSync, UpstreamImport, AuthFailed];

    public static AuditAction? FindOrNull(string? name) => All.FirstOrDefault(a => a.Name == name);
}

/// <summary>Who did something and from where: the API key (id and name) and the client's address.</summary>
/// <param name="KeyId">The key's id (a configured key's name); null when no key was presented or it named none.</param>
/// <param name="KeyName">The key's name; null for an unknown key.</param>
/// <param name="ClientAddress">The peer's address, or the client a trusted proxy named.</param>
public sealed record AuditActor(string? KeyId, string? KeyName, string? ClientAddress)
{
    /// <summary>The upstream sync timer: no key, no client.</summary>
    public static readonly AuditActor Scheduler = new(null, "scheduler", null);

    /// <summary>The server's own start (the bootstrap admin key): no key, no client.</summary>
    public static readonly AuditActor Startup = new(null, "startup", null);

    /// <summary>The authenticated key of <paramref name="context"/>'s request and its client address.</summary>
    public static AuditActor Of(HttpContext context) => new(
        context.User.FindFirst(Auth.ApiKeyAuthenticationHandler.KeyIdClaim)?.Value,
        context.User.Identity?.IsAuthenticated == true ? context.User.Identity.Name : null,
        context.Connection.RemoteIpAddress is { } address ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString() : null);
}

/// <summary>One audited event: the action, who and from where, what it was about, and how it ended.</summary>
public sealed record AuditEvent(AuditAction Action, AuditActor Actor, string Outcome)
{
    /// <summary>The outcome of what was done; anything else is the stable problem code that refused it.</summary>
    public const string Ok = Telemetry.RepositoryMetrics.Accepted;

    /// <summary>An event of <paramref name="action"/> that ended as <paramref name="problem"/> says (null: done).</summary>
    public static AuditEvent Of(AuditAction action, HttpContext context, RepositoryProblem? problem) =>
        new(action, AuditActor.Of(context), problem?.Code ?? Ok);

    public int? PatchId { get; init; }

    public string? Channel { get; init; }

    public int? BuildIds { get; init; }

    public string? Reason { get; init; }

    public string? Target { get; init; }
}
