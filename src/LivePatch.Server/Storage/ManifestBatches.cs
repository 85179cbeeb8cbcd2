using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using LiteDB;

namespace LivePatch.Server.Storage;

/// <summary>The records of the manifests one transaction signed (collection <c>manifestbatches</c>): each one's channel,
/// build ID, version, expiry, SHA-256 and where its signed bytes are, packed into one LiteDB document.</summary>
/// <remarks>
/// One document per render batch (256 kernels, 1,024 in the expiry re-sign) where there used to be one per manifest
/// (collection <c>manifests</c>): a bulk publish's or re-sign's records cost one insert per batch, not a primary key
/// lookup and an upsert per kernel, and a few pages at commit and checkpoint instead of hundreds.
/// <para>A manifest signed again is recorded again in a later batch; the record with the highest version is the one
/// served (versions only increase). <c>ManifestService</c> counts each batch's records that are still the newest of their
/// kernel and channel, and deletes a batch document once none is, in the transaction of a later render.</para>
/// </remarks>
public sealed class ManifestBatchDocument
{
    [BsonId(autoId: true)]
    public int Id { get; set; }

    /// <summary>The records, packed by <see cref="ManifestBatchCodec"/>.</summary>
    public byte[] Records { get; set; } = [];
}

/// <summary>The packed form of a <see cref="ManifestBatchDocument"/>'s records: a format byte, a count, then per record the
/// channel and build ID (UTF-8, a byte of length each), version, expiry (Unix ms), the SHA-256 (32 bytes), the segment,
/// offset and length of the signed bytes; integers little-endian.</summary>
/// <remarks>About 100 bytes a record where a BSON document of the same fields, names included, took about 230.</remarks>
public static class ManifestBatchCodec
{
    private const byte Format = 1;

    /// <summary>Packs records whose SHA-256 is set (64 hex digits) and whose channel and build ID fit in 255 UTF-8 bytes
    /// (both are validated far below that before anything is signed).</summary>
    public static byte[] Pack(IReadOnlyList<ManifestDocument> records)
    {
        var buffer = new ArrayBufferWriter<byte>(5 + (records.Count * 128));
        PutByte(buffer, Format);
        PutInt32(buffer, records.Count);
        foreach (var record in records)
        {
            PutText(buffer, record.Channel);
            PutText(buffer, record.BuildId);
            PutInt64(buffer, record.Version);
            PutInt64(buffer, record.ExpiresMs);
            var sha256 = Convert.FromHexString(record.Sha256);
            if (sha256.Length != 32)
            {
                throw new ArgumentException($"Record {record.Id}: the SHA-256 is {sha256.Length} bytes, not 32.", nameof(records));
            }

            buffer.Write(sha256);
            PutInt32(buffer, record.Segment);
            PutInt64(buffer, record.Offset);
            PutInt32(buffer, record.Length);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The records of one batch document, each with <see cref="ManifestDocument.Batch"/> set to its id.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a batch this version packs (a damaged database).</exception>
    public static List<ManifestDocument> Unpack(ManifestBatchDocument batch)
    {
        var reader = new Reader(batch.Records, batch.Id);
        if (reader.Byte() != Format)
        {
            throw reader.Damaged("unknown format");
        }

        var count = reader.Int32();
        if (count < 0 || count > batch.Records.Length / 64)
        {
            throw reader.Damaged($"a count of {count}");
        }

        var records = new List<ManifestDocument>(count);
        for (var i = 0; i < count; i++)
        {
            var (channel, buildId) = (reader.Text(), reader.Text());
            records.Add(new ManifestDocument
            {
                Id = ManifestDocument.KeyOf(channel, buildId),
                Channel = channel,
                BuildId = buildId,
                Version = reader.Int64(),
                ExpiresMs = reader.Int64(),
                Sha256 = Convert.ToHexStringLower(reader.Span(32)),
                Segment = reader.Int32(),
                Offset = reader.Int64(),
                Length = reader.Int32(),
                Batch = batch.Id,
            });
        }

        if (!reader.AtEnd)
        {
            throw reader.Damaged("bytes after the last record");
        }

        return records;
    }

    private static void PutByte(ArrayBufferWriter<byte> buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    private static void PutInt32(ArrayBufferWriter<byte> buffer, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
    }

    private static void PutInt64(ArrayBufferWriter<byte> buffer, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    private static void PutText(ArrayBufferWriter<byte> buffer, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > byte.MaxValue)
        {
            throw new ArgumentException($"'{value[..16]}…' is longer than {byte.MaxValue} bytes.", nameof(value));
        }

        PutByte(buffer, (byte)length);
        buffer.Advance(Encoding.UTF8.GetBytes(value, buffer.GetSpan(length)));
    }

    private ref struct Reader(byte[] bytes, int batch)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _at;

        public readonly bool AtEnd => _at == _bytes.Length;

        public byte Byte() => Span(1)[0];

        public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Span(4));

        public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Span(8));

        public string Text() => Encoding.UTF8.GetString(Span(Byte()));

        public ReadOnlySpan<byte> Span(int count)
        {
            if (count > _bytes.Length - _at)
            {
                throw Damaged($"cut short at byte {_at}");
            }

            _at += count;
            return _bytes.Slice(_at - count, count);
        }

        public readonly InvalidDataException Damaged(string what) =>
            new($"Manifest batch {batch} in the database cannot be read ({what}): the database is damaged; restore the data folder from a backup.");
    }
}
