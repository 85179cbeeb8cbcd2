using LiteDB;

namespace LivePatch.Server.Storage;

// LiteDB documents. Times are Unix milliseconds: LiteDB's DateTime round-trips in local time and
// drops the offset, and a number compares and sorts exactly.

/// <summary>A published patch (collection <c>patches</c>).</summary>
public sealed class PatchDocument
{
    [BsonId(autoId: true)]
    public int Id { get; set; }

    public string Name { get; set; } = "";

    public int Level { get; set; }

    public string Sha256 { get; set; } = "";

    /// <summary>SHA-256 (hex) of the decompressed module, signature included: the module the kernel loads, whatever its
    /// compression. Null only on documents written before it existed, until the start-up backfill computes it.</summary>
    public string? ModuleSha256 { get; set; }

    public long Size { get; set; }

    public string Signer { get; set; } = "";

    public string KernelRelease { get; set; } = "";

    public List<string> BuildIds { get; set; } = [];

    /// <summary>Channel name → when the patch entered it (Unix ms): hosts' patch delay counts from there.</summary>
    public Dictionary<string, long> Channels { get; set; } = [];

    public List<string> Cves { get; set; } = [];

    public string? Severity { get; set; }

    public string? Description { get; set; }

    public bool Replace { get; set; } = true;

    public long PublishedMs { get; set; }

    public string? Publisher { get; set; }

    public string? RevokedReason { get; set; }

    public long? RevokedMs { get; set; }

    /// <summary>For a patch a site repository imported: the vendor's repository id (the vendor's patch is this one's name,
    /// level and SHA-256 there); null for a patch published here.</summary>
    public string? UpstreamRepository { get; set; }

    /// <summary>The vendor index version of the import that brought the patch.</summary>
    public long? UpstreamVersion { get; set; }
}

/// <summary>The record of a signed manifest (key <c>channel/buildId</c>): its facts, and where its signed bytes are in the
/// <see cref="SignedStore"/>. Stored packed, many to a <see cref="ManifestBatchDocument"/>; servers before those kept one
/// LiteDB document of this class per manifest (collection <c>manifests</c>, moved at start by
/// <see cref="ManifestBatchMigration"/>).</summary>
public sealed class ManifestDocument : ISignedRecord
{
    [BsonId]
    public string Id { get; set; } = "";

    public string Channel { get; set; } = "";

    public string BuildId { get; set; } = "";

    public long Version { get; set; }

    public long ExpiresMs { get; set; }

    /// <inheritdoc/>
    public string Sha256 { get; set; } = "";

    /// <inheritdoc/>
    public int Segment { get; set; }

    /// <inheritdoc/>
    public long Offset { get; set; }

    /// <inheritdoc/>
    public int Length { get; set; }

    /// <inheritdoc/>
    public byte[]? Signed { get; set; }

    /// <summary>The <see cref="ManifestBatchDocument"/> holding the record (0 until it is stored; never a field of a
    /// document of the old <c>manifests</c> collection).</summary>
    [BsonIgnore]
    public int Batch { get; set; }

    public static string KeyOf(string channel, string buildId) => $"{channel}/{buildId}";
}

/// <summary>A LiteDB record of a signed document whose bytes are in the <see cref="SignedStore"/>.</summary>
public interface ISignedRecord
{
    /// <summary>SHA-256 (hex) of the signed bytes: the ETag, and what a coverage bin or the index lists.</summary>
    string Sha256 { get; set; }

    /// <summary>The <see cref="SignedStore"/> segment holding the bytes (0 in a record written before the store existed).</summary>
    int Segment { get; set; }

    long Offset { get; set; }

    int Length { get; set; }

    /// <summary>The signed bytes themselves, in records written before the <see cref="SignedStore"/>: moved out at start
    /// (<see cref="SignedStoreMigration"/>) and null from then on.</summary>
    byte[]? Signed { get; set; }
}

/// <summary>Where a record's signed bytes are.</summary>
public static class SignedRecords
{
    public static SignedLocation LocationOf(this ISignedRecord record) => new(record.Segment, record.Offset, record.Length);

    /// <summary>Points the record at its bytes in the store.</summary>
    public static void Locate(this ISignedRecord record, SignedLocation at, string sha256)
    {
        (record.Segment, record.Offset, record.Length, record.Sha256, record.Signed) = (at.Segment, at.Offset, at.Length, sha256, null);
    }
}

/// <summary>An API key made through the API (collection <c>apikeys</c>); only the SHA-256 of its secret is kept.</summary>
public sealed class ApiKeyDocument
{
    [BsonId]
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string Role { get; set; } = "";

    public byte[] SecretHash { get; set; } = [];

    public long CreatedMs { get; set; }
}

/// <summary>A signed coverage bin as served (collection <c>bins</c>, id <c>channel/prefix</c>): its facts, and where its signed
/// bytes are in the <see cref="SignedStore"/>.</summary>
public sealed class BinDocument : ISignedRecord
{
    [BsonId]
    public string Id { get; set; } = "";

    public long Version { get; set; }

    public long ExpiresMs { get; set; }

    /// <inheritdoc/>
    public string Sha256 { get; set; } = "";

    /// <inheritdoc/>
    public int Segment { get; set; }

    /// <inheritdoc/>
    public long Offset { get; set; }

    /// <inheritdoc/>
    public int Length { get; set; }

    /// <inheritdoc/>
    public byte[]? Signed { get; set; }

    public static string KeyOf(string channel, string prefix) => $"{channel}/{prefix}";
}

/// <summary>A coverage bin (<c>channel/prefix</c>) whose kernels' manifests changed in a committed transaction and that
/// has not been re-signed since (collection <c>pendingbins</c>).</summary>
public sealed class PendingBinDocument
{
    [BsonId]
    public string Id { get; set; } = "";
}

/// <summary>A named counter (collection <c>counters</c>): the repository-wide manifest version.</summary>
public sealed class CounterDocument
{
    [BsonId]
    public string Id { get; set; } = "";

    public long Value { get; set; }
}

/// <summary>A kernel whose manifests a committed change has not re-rendered yet (collection <c>pending</c>): written by
/// servers before <see cref="PendingWriteDocument"/>; still read, so that an upgrade finishes what they left.</summary>
public sealed class PendingRenderDocument
{
    [BsonId]
    public string Id { get; set; } = "";
}

/// <summary>The kernels a committed write still has to re-render after its first batch (collection <c>pendingwrites</c>):
/// one document per write, stored in the write's first transaction and deleted when its last batch is signed.</summary>
public sealed class PendingWriteDocument
{
    [BsonId]
    public string Id { get; set; } = "";

    public List<string> BuildIds { get; set; } = [];
}

/// <summary>What a site repository last imported from one vendor repository (collection <c>upstream</c>, id = the vendor's
/// repository id): written after every change of a successful import, so an interrupted one is simply done again.</summary>
public sealed class UpstreamDocument
{
    [BsonId]
    public string Id { get; set; } = "";

    /// <summary>The version of the vendor index last imported: an older one is refused (rollback).</summary>
    public long IndexVersion { get; set; }

    /// <summary>SHA-256 of each vendor coverage bin (<c>channel/prefix</c>) as last imported: an unchanged bin is not read again.</summary>
    public List<UpstreamBinEntry> Bins { get; set; } = [];

    public long ImportedMs { get; set; }
}

/// <summary>One vendor coverage bin as last imported.</summary>
public sealed class UpstreamBinEntry
{
    public string Bin { get; set; } = "";

    public string Sha256 { get; set; } = "";
}

/// <summary>The version of one vendor manifest last imported (collection <c>upstreamkernels</c>, id
/// <c>repository/channel/buildId</c>): a newer one is read, an older one refused (rollback).</summary>
public sealed class UpstreamKernelDocument
{
    [BsonId]
    public string Id { get; set; } = "";

    public long Version { get; set; }

    public static string KeyOf(string repository, string channel, string buildId) => $"{repository}/{channel}/{buildId}";
}
