using System.Text.Json;
using System.Text.Json.Serialization;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Updates;

/// <summary>What a host remembers between runs (state.json in the state directory).</summary>
/// <remarks>Every member has a default, so a state written before a member existed (or <c>{}</c>) loads; <see cref="Schema"/>
/// says which layout wrote it and <see cref="StateStore"/> migrates older ones on load.</remarks>
public sealed record ClientState
{
    /// <summary>The layout this code writes. 1 (or absent): before schema numbers, applied records without module digests;
    /// 2: before coverage bins (no <see cref="CoverageVersions"/>, no <see cref="NotCovered"/>).</summary>
    public const int CurrentSchema = 3;

    public int Schema { get; init; } = CurrentSchema;

    /// <summary>The repository id pinned on first contact when the configuration names none.</summary>
    public string? RepositoryId { get; init; }

    /// <summary>Highest manifest version accepted, per "repository/channel/buildId" (rollback protection, docs/architecture.md, step 6).</summary>
    public Dictionary<string, ulong> Versions { get; init; } = [];

    /// <summary>Patches this client applied and believes loaded.</summary>
    public List<AppliedRecord> Applied { get; init; } = [];

    public CheckRecord? LastCheck { get; init; }

    /// <summary>Per "channel/buildId": proof that the last verified manifest's signature and chains held (see
    /// <see cref="SignatureMemo"/>), so an unchanged manifest on a 304 is re-verified without rebuilding the chains.</summary>
    public Dictionary<string, SignatureMemo> Memos { get; init; } = [];

    /// <summary>Module names an operator removed with <c>lpatch remove</c>: not applied again until <c>lpatch unhold</c>.</summary>
    public List<string> Holds { get; init; } = [];

    /// <summary>The revocations of the last accepted manifest for this kernel, with the vendor's reasons.</summary>
    public List<RevocationNotice> Revocations { get; init; } = [];

    /// <summary>Per blob SHA-256 (what the manifest names): the digest of the module it decompresses to (what the kernel
    /// loads), for every module this host verified; the quarantine and revocations match on the latter.</summary>
    public Dictionary<string, string> ModuleDigests { get; init; } = [];

    /// <summary>Highest coverage bin version accepted, per "repository/channel/prefix" (the same rollback protection, for the
    /// signed "not covered" answer: docs/manifests.md, "Coverage bins").</summary>
    public Dictionary<string, ulong> CoverageVersions { get; init; } = [];

    /// <summary>The last verified "not covered" answer, until a manifest is accepted again; null when there is none.</summary>
    public NotCoveredRecord? NotCovered { get; init; }

    public static string VersionKey(string repository, string channel, string buildId) => $"{repository}/{channel}/{buildId}";

    public static string CoverageKey(string repository, string channel, string prefix) => $"{repository}/{channel}/{prefix}";

    public static string MemoKey(string channel, string buildId) => $"{channel}/{buildId}";
}

/// <summary>A patch the client applied: which module, level and bytes, when.</summary>
/// <remarks><c>Sha256</c> is the blob's as the manifest names it; <c>ModuleDigest</c> the SHA-256 of the decompressed module
/// (signature included), what the kernel loaded; null in a record written by schema 1.</remarks>
public sealed record AppliedRecord(string Name, int Level, string Sha256, string BuildId, IReadOnlyList<string> Cves, DateTimeOffset AppliedAt,
    string? ModuleDigest = null);

/// <summary>The last check or apply and how it ended.</summary>
/// <remarks><c>ExitCode</c>: what lpatch exited with (the code's category decides it); null in a record written before it was kept.</remarks>
public sealed record CheckRecord(DateTimeOffset At, string Outcome, string? Code, string Message, string? Repository, int? ExitCode = null)
{
    /// <summary>The record of <paramref name="result"/>, finished at <paramref name="at"/>.</summary>
    public static CheckRecord Of(UpdateResult result, DateTimeOffset at, string? repository) =>
        new(at, result.ActionName, result.Failure?.Code, result.Message, repository,
            result.Failure is { } f ? Core.ErrorCategories.ExitCode(f.Category) : 0);
}

/// <summary>A verified "not covered": the repository's signed coverage bin for this kernel's build ID prefix does not list it.</summary>
/// <remarks><c>Issued</c>: when the repository signed the bin, what the answer is true as of; <c>At</c>: when this host
/// verified it; <c>Server</c>: the URL that served it (any mirror: the answer is signed).</remarks>
public sealed record NotCoveredRecord(string BuildId, string Release, string Repository, string Channel, string Prefix, ulong BinVersion,
    DateTimeOffset Issued, DateTimeOffset At, string Server)
{
    /// <summary>One line for check, apply and status.</summary>
    public string Describe() =>
        $"repository {Repository} has no live patches for kernel {Release} ({BuildId}) in channel {Channel}, as of {Issued:u} " +
        $"(coverage bin {Prefix} version {BinVersion})";
}

/// <summary>A patch the vendor withdrew, as the last accepted manifest says, and whether this host had it applied.</summary>
public sealed record RevocationNotice(string Name, int Level, string Sha256, string Reason, DateTimeOffset RevokedAt, bool WasApplied);

/// <summary>Source-generated JSON for the client's own files (Native AOT: no reflection).</summary>
/// <remarks>Unknown members are an error: in client.json a typo must not fall back to a default; state.json is written
/// by lpatch alone, and a newer layout is recognised by its schema number before it is read (<see cref="StateStore"/>).</remarks>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ClientState))]
[JsonSerializable(typeof(Host.ClientOptions))]
public sealed partial class ClientJsonContext : JsonSerializerContext;
