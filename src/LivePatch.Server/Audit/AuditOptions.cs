using System.ComponentModel.DataAnnotations;
using LiteDB;

namespace LivePatch.Server.Audit;

/// <summary>The <c>LivePatch:Audit</c> section: how many events the <c>audit</c> collection keeps.</summary>
public sealed class AuditOptions
{
    public const string Section = Configuration.RepositoryOptions.Section + ":Audit";

    /// <summary>The default of <see cref="MaxEntries"/>: a busy vendor's months of publishes, promotions and revocations,
    /// about 3 MB in LiteDB.</summary>
    public const int DefaultMaxEntries = 10_000;

    /// <summary>Events kept; the oldest are dropped beyond it. The log has every event in any case.</summary>
    [Range(100, 1_000_000, ErrorMessage = "LivePatch:Audit:MaxEntries must be from 100 to 1000000.")]
    public int MaxEntries { get; set; } = DefaultMaxEntries;
}

/// <summary>An audited event as stored (collection <c>audit</c>, id rising with each event). Times are Unix milliseconds, as
/// in every other document.</summary>
public sealed class AuditDocument
{
    [BsonId(autoId: true)]
    public long Id { get; set; }

    public long TimeMs { get; set; }

    public string Action { get; set; } = "";

    public string Outcome { get; set; } = "";

    public string? KeyId { get; set; }

    public string? KeyName { get; set; }

    public string? ClientAddress { get; set; }

    public int? PatchId { get; set; }

    public string? Channel { get; set; }

    public int? BuildIds { get; set; }

    public string? Reason { get; set; }

    public string? Target { get; set; }

    public long? NotStored { get; set; }
}
