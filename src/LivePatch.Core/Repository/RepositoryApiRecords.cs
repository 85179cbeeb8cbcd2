using System.Text.Json.Serialization;

namespace LivePatch.Core.Repository;

// Wire records of the repository's HTTP API (docs/api.md). They live in Core so that the server and
// its clients (lpatch, mirrors) share one definition and one source-generated JSON context.

/// <summary>A published patch as the API shows it.</summary>
public sealed record PatchInfo
{
    public required int Id { get; init; }

    /// <summary>The module name (.modinfo <c>name</c>), also the directory under /sys/kernel/livepatch.</summary>
    public required string Name { get; init; }

    public required int Level { get; init; }

    public required string Sha256 { get; init; }

    public required long Size { get; init; }

    /// <summary>Key id of the module signature (modinfo's <c>sig_key</c>).</summary>
    public required string Signer { get; init; }

    /// <summary>Kernel release from the module's vermagic.</summary>
    public required string KernelRelease { get; init; }

    public required IReadOnlyList<string> BuildIds { get; init; }

    /// <summary>Channels the patch is in, in the repository's channel order.</summary>
    public required IReadOnlyList<string> Channels { get; init; }

    public IReadOnlyList<string> Cves { get; init; } = [];

    public string? Severity { get; init; }

    public string? Description { get; init; }

    /// <summary>Whether the patch atomically replaces earlier levels (klp_patch.replace).</summary>
    public required bool Replace { get; init; }

    public required DateTimeOffset Published { get; init; }

    public string? Publisher { get; init; }

    public PatchRevocation? Revoked { get; init; }
}

/// <summary>The description of a batch publish (<c>POST /v1/patches/batch</c>, the form field <c>batch</c>): one entry per
/// patch, each naming its module by the file name of one of the form's <c>module</c> parts.</summary>
/// <remarks>Unknown members are refused, so that a misspelt field (<c>buildID</c>) is an error rather than a default.</remarks>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PublishBatch
{
    public required IReadOnlyList<BatchPatch> Patches { get; init; }

    /// <summary>Whether every patch has its module and build IDs and no list holds a null: a JSON <c>null</c> passes the
    /// deserializer's check of required members.</summary>
    [JsonIgnore]
    public bool IsComplete => Patches is not null && Patches.All(p => p?.Module is not null && p.BuildIds is not null
        && !p.BuildIds.Any(id => id is null) && (p.Cves is null || !p.Cves.Any(cve => cve is null)));
}

/// <summary>One patch of a <see cref="PublishBatch"/>: the fields of a single publish, its module named by file name.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record BatchPatch
{
    /// <summary>The file name of the form's <c>module</c> part holding this patch's module.</summary>
    public required string Module { get; init; }

    public required IReadOnlyList<string> BuildIds { get; init; }

    public string? Channel { get; init; }

    public int? Level { get; init; }

    public IReadOnlyList<string>? Cves { get; init; }

    public string? Severity { get; init; }

    public string? Description { get; init; }

    public bool? Replace { get; init; }
}

/// <summary>The answer to a batch publish: every patch it stored, in the order of the batch.</summary>
public sealed record PublishedBatch
{
    public required IReadOnlyList<PatchInfo> Patches { get; init; }
}

/// <summary>Why and when a patch was withdrawn.</summary>
public sealed record PatchRevocation(string Reason, DateTimeOffset RevokedAt);

/// <summary>A kernel build the repository has patches for.</summary>
public sealed record KernelInfo
{
    public required string BuildId { get; init; }

    public required string KernelRelease { get; init; }

    /// <summary>Highest non-revoked level per channel (channels without one are left out).</summary>
    public required IReadOnlyDictionary<string, int> Levels { get; init; }

    public required int Patches { get; init; }
}

/// <summary>One page of a listing (<c>GET /v1/patches</c>, <c>GET /v1/kernels</c>): its records in order, and the cursor of the
/// page after it.</summary>
/// <remarks>A page may hold fewer records than asked for, even none, and still not be the last: only a null
/// <see cref="Next"/> ends a listing (docs/api.md, "Listings").</remarks>
public sealed record ListPage<T>
{
    public required IReadOnlyList<T> Items { get; init; }

    /// <summary>What to send as <c>after</c> for the next page (a patch id, a build ID); null on the last page.</summary>
    /// <remarks>Written as <c>null</c>, not left out: an answer without it is not a page of this API.</remarks>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Next { get; init; }
}

/// <summary>How many records one page of a listing holds (the <c>limit</c> parameter): what bounds one anonymous request's work.</summary>
public static class PageLimits
{
    /// <summary>Records per page when the request does not say.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The most records one page holds; a larger <c>limit</c> is refused (<c>page-invalid</c>), not trimmed.</summary>
    public const int MaxLimit = 1000;
}

/// <summary>Body of <c>POST /v1/patches/{id}/promote</c>.</summary>
public sealed record PromoteRequest(string Channel);

/// <summary>Body of <c>POST /v1/patches/{id}/revoke</c>.</summary>
public sealed record RevokeRequest(string Reason);

/// <summary>Body of <c>POST /v1/api-keys</c>; role is <c>publisher</c> or <c>admin</c>.</summary>
public sealed record CreateApiKeyRequest(string Name, string Role);

/// <summary>An API key as the API shows it; <see cref="Secret"/> is set only in the answer that creates it.</summary>
public sealed record ApiKeyInfo
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Role { get; init; }

    public required DateTimeOffset Created { get; init; }

    public string? Secret { get; init; }
}

/// <summary>An RFC 9457 problem as the server sends it, with the project's stable <see cref="Code"/>.</summary>
public sealed record ProblemInfo
{
    public string? Type { get; init; }

    public string? Title { get; init; }

    public int? Status { get; init; }

    public string? Detail { get; init; }

    public string? Code { get; init; }
}

/// <summary>What one import of a site repository from its vendor did (<c>POST /v1/upstream/sync</c>).</summary>
public sealed record UpstreamSyncSummary
{
    /// <summary>The vendor's repository id, as its verified index names it.</summary>
    public required string Repository { get; init; }

    /// <summary>The version of the vendor index imported.</summary>
    public required ulong Version { get; init; }

    /// <summary>Where it was read from (a URL or a directory).</summary>
    public required string Source { get; init; }

    /// <summary>Site patches created from vendor patches.</summary>
    public required int Imported { get; init; }

    /// <summary>Site patches already imported that were added to another kernel or site channel.</summary>
    public required int Updated { get; init; }

    /// <summary>Site patches revoked because the vendor revoked them.</summary>
    public required int Revoked { get; init; }

    /// <summary>Vendor manifests not read again: unchanged since the last import.</summary>
    public required int Skipped { get; init; }
}
