using System.Buffers.Binary;
using System.Text;
using LivePatch.Core;

namespace LivePatch.Server.ReadPath;

/// <summary>A stored manifest as the hot read path sees it: its signed bytes and strong ETag, inside a table segment.</summary>
public readonly struct StoredManifest
{
    private readonly byte[] _segment;
    private readonly int _etag;
    private readonly int _etagLength;
    private readonly int _bodyLength;

    internal StoredManifest(byte[] segment, int etag, int etagLength, int bodyLength)
    {
        _segment = segment;
        _etag = etag;
        _etagLength = etagLength;
        _bodyLength = bodyLength;
    }

    /// <summary>The quoted ETag, ASCII.</summary>
    public ReadOnlySpan<byte> ETag => _segment.AsSpan(_etag, _etagLength);

    /// <summary>The signed manifest.</summary>
    public ReadOnlyMemory<byte> Body => _segment.AsMemory(_etag + _etagLength, _bodyLength);
}

/// <summary>The stored manifests packed for the hot read path: key, ETag and signed bytes side by side, found through
/// one open-addressing table, in large pinned arrays on huge pages where the kernel offers them.</summary>
/// <remarks>
/// At 100,000 kernels the manifests are far out of the CPU caches. A lookup through a dictionary of objects touches
/// five of them spread over the GC heap (bucket, node, key, document, ETag) before the body, each a cache and TLB
/// miss, and more after a bulk publish has scattered them among its garbage: the benchmark measured manifest GETs
/// 20% dearer at 100,000 kernels than at 100. Here a lookup reads one slot and one record.
/// <para>
/// Readers take no lock. A record is never changed once written; a slot changes by one atomic write, after the
/// record and its segment are in place; arrays a reader has loaded stay valid however the table changes later (a
/// rebuild makes new ones). Writers are serialised. A replaced record becomes dead space; once that exceeds the
/// live bytes, the live records are copied into a new, compact table, which is swapped in.
/// </para>
/// <para>Record: hash (4 bytes), key length (2), ETag length (2), body length (4), key, ETag, body. Slot: hash tag
/// (16 bits), segment number + 1 (16 bits), offset (32 bits); 0 is empty.</para>
/// </remarks>
public sealed class ManifestTable : IServedManifestStore
{
    private const int HeaderBytes = 12;
    private const int MaxSegments = ushort.MaxValue - 1;
    private const int MinSlots = 64;

    private readonly Lock _writer = new();
    private readonly int _minSegmentBytes;
    private readonly int _maxSegmentBytes;
    private volatile State _state;

    /// <param name="minSegmentBytes">The first segment's size; each next one doubles, up to <paramref name="maxSegmentBytes"/>.</param>
    /// <param name="maxSegmentBytes">The largest segment, except for a record larger than that, which gets its own.</param>
    public ManifestTable(int minSegmentBytes = 1 << 20, int maxSegmentBytes = 32 << 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minSegmentBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSegmentBytes, minSegmentBytes);
        _minSegmentBytes = minSegmentBytes;
        _maxSegmentBytes = maxSegmentBytes;
        _state = new State(NewSlots(MinSlots), 16);
    }

    /// <summary>Stored manifests.</summary>
    public int Count => _state.Count;

    /// <summary>Bytes of the records that can still be found.</summary>
    public long LiveBytes => _state.LiveBytes;

    /// <summary>Bytes of replaced records, reclaimed by the next rebuild.</summary>
    public long DeadBytes => _state.DeadBytes;

    /// <summary>Finds a manifest by its key (<c>channel/buildId</c>) without allocating or locking.</summary>
    public bool TryGet(ReadOnlySpan<char> key, out StoredManifest manifest)
    {
        var state = _state;
        var hash = string.GetHashCode(key);
        for (var i = hash & state.Mask; ; i = (i + 1) & state.Mask)
        {
            var slot = Volatile.Read(ref state.Slots[i]);
            if (slot == 0)
            {
                manifest = default;
                return false;
            }

            if (Tag(slot) == Tag(hash))
            {
                var segment = Volatile.Read(ref state.Segments[SegmentOf(slot)])!;
                var offset = OffsetOf(slot);
                var record = segment.AsSpan(offset);
                var keyLength = BinaryPrimitives.ReadUInt16LittleEndian(record[4..]);
                if (BinaryPrimitives.ReadInt32LittleEndian(record) == hash && keyLength == key.Length
                    && Ascii.Equals(record.Slice(HeaderBytes, keyLength), key))
                {
                    manifest = new StoredManifest(segment, offset + HeaderBytes + keyLength,
                        BinaryPrimitives.ReadUInt16LittleEndian(record[6..]), BinaryPrimitives.ReadInt32LittleEndian(record[8..]));
                    return true;
                }
            }
        }
    }

    /// <summary>Stores or replaces manifests; readers see each one whole, the old version or the new.</summary>
    /// <exception cref="ArgumentException">A key or ETag that is not ASCII or longer than 65,535 characters; then
    /// none of <paramref name="manifests"/> is stored.</exception>
    public void SetAll(IReadOnlyCollection<(string Key, string ETag, byte[] Body)> manifests)
    {
        StoredManifestRules.ThrowIfNotStorable(manifests);
        lock (_writer)
        {
            if ((_state.Count + manifests.Count) * 2 > _state.Slots.Length)
            {
                _state = Rebuild(_state, manifests.Count); // one growth for a bulk load instead of one per doubling
            }

            foreach (var (key, etag, body) in manifests)
            {
                Set(key, etag, body);
            }

            if (_state.DeadBytes > _state.LiveBytes && _state.DeadBytes > _minSegmentBytes)
            {
                _state = Rebuild(_state, 0);
            }
        }
    }

    private void Set(string key, string etag, byte[] body)
    {
        var state = _state;
        if ((state.Count + 1) * 2 > state.Slots.Length || state.SegmentCount == state.Segments.Length)
        {
            state = _state = Rebuild(state, 1);
        }

        var hash = string.GetHashCode(key);
        var size = HeaderBytes + key.Length + etag.Length + body.Length;
        var (segment, offset) = Reserve(state, size);
        var record = state.Segments[segment]!.AsSpan(offset, size);
        BinaryPrimitives.WriteInt32LittleEndian(record, hash);
        BinaryPrimitives.WriteUInt16LittleEndian(record[4..], (ushort)key.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(record[6..], (ushort)etag.Length);
        BinaryPrimitives.WriteInt32LittleEndian(record[8..], body.Length);
        Encoding.ASCII.GetBytes(key, record[HeaderBytes..]);
        Encoding.ASCII.GetBytes(etag, record[(HeaderBytes + key.Length)..]);
        body.CopyTo(record[(HeaderBytes + key.Length + etag.Length)..]);

        var value = Slot(hash, segment, offset);
        for (var i = hash & state.Mask; ; i = (i + 1) & state.Mask)
        {
            var slot = state.Slots[i];
            if (slot == 0)
            {
                Volatile.Write(ref state.Slots[i], value); // the record is complete before a reader can find it
                state.Count++;
                break;
            }

            var old = RecordAt(state, slot);
            if (Tag(slot) == Tag(hash) && BinaryPrimitives.ReadInt32LittleEndian(old) == hash && KeyOf(old).SequenceEqual(KeyOf(record)))
            {
                var oldSize = SizeOf(old);
                state.DeadBytes += oldSize;
                state.LiveBytes -= oldSize;
                Volatile.Write(ref state.Slots[i], value);
                break;
            }
        }

        state.LiveBytes += size;
    }

    /// <summary>Room for a record in the last segment, or in a new one.</summary>
    private (int Segment, int Offset) Reserve(State state, int size)
    {
        var last = state.SegmentCount - 1;
        if (last >= 0 && state.Segments[last]!.Length - state.Used >= size)
        {
            var offset = state.Used;
            state.Used += size;
            return (last, offset);
        }

        if (state.SegmentCount == state.Segments.Length)
        {
            throw new InvalidOperationException($"The manifest table is full ({state.Segments.Length} segments).");
        }

        var previous = last >= 0 ? state.Segments[last]!.Length : _minSegmentBytes / 2;
        var length = Math.Max(Math.Min((long)previous * 2, _maxSegmentBytes), size);
        var segment = GC.AllocateUninitializedArray<byte>((int)length, pinned: true);
        HugePages.Advise(segment);
        Volatile.Write(ref state.Segments[state.SegmentCount], segment); // before any slot points into it
        state.SegmentCount++;
        state.Used = size;
        return (state.SegmentCount - 1, 0);
    }

    /// <summary>A compact copy of the live records, its slots a quarter full with <paramref name="extra"/> more.</summary>
    private State Rebuild(State old, int extra)
    {
        var slots = 1;
        while (slots < Math.Max(MinSlots, (old.Count + extra) * 4))
        {
            slots <<= 1; // a quarter full: it grows again at half, after the count has doubled
        }

        var fresh = new State(NewSlots(slots), Math.Min(MaxSegments, Math.Max(16, old.SegmentCount * 2)));
        foreach (var slot in old.Slots)
        {
            if (slot == 0)
            {
                continue;
            }

            var record = RecordAt(old, slot);
            var size = SizeOf(record);
            var (segment, offset) = Reserve(fresh, size);
            record[..size].CopyTo(fresh.Segments[segment].AsSpan(offset));
            var hash = BinaryPrimitives.ReadInt32LittleEndian(record);
            var i = hash & fresh.Mask;
            while (fresh.Slots[i] != 0)
            {
                i = (i + 1) & fresh.Mask;
            }

            fresh.Slots[i] = Slot(hash, segment, offset);
            fresh.Count++;
            fresh.LiveBytes += size;
        }

        return fresh; // published by the caller's volatile write: readers see it complete
    }

    private static long[] NewSlots(int count)
    {
        var slots = GC.AllocateUninitializedArray<long>(count, pinned: true);
        HugePages.Advise(slots);
        Array.Clear(slots); // after the advice, so that its pages are touched as huge pages
        return slots;
    }

    private static long Slot(int hash, int segment, int offset) => ((long)Tag(hash) << 48) | ((long)(segment + 1) << 32) | (uint)offset;

    private static ushort Tag(int hash) => (ushort)((uint)hash >> 16);

    private static ushort Tag(long slot) => (ushort)((ulong)slot >> 48);

    private static int SegmentOf(long slot) => (int)((slot >> 32) & 0xFFFF) - 1;

    private static int OffsetOf(long slot) => (int)(uint)slot;

    private static Span<byte> RecordAt(State state, long slot) => state.Segments[SegmentOf(slot)].AsSpan(OffsetOf(slot));

    private static ReadOnlySpan<byte> KeyOf(ReadOnlySpan<byte> record) =>
        record.Slice(HeaderBytes, BinaryPrimitives.ReadUInt16LittleEndian(record[4..]));

    private static int SizeOf(ReadOnlySpan<byte> record) =>
        HeaderBytes + BinaryPrimitives.ReadUInt16LittleEndian(record[4..]) + BinaryPrimitives.ReadUInt16LittleEndian(record[6..])
        + BinaryPrimitives.ReadInt32LittleEndian(record[8..]);

    /// <summary>One generation of the table. Readers use <see cref="Slots"/>, <see cref="Mask"/> and
    /// <see cref="Segments"/>; the counters belong to the writer.</summary>
    private sealed class State(long[] slots, int segmentCapacity)
    {
        public readonly long[] Slots = slots;
        public readonly int Mask = slots.Length - 1;
        public readonly byte[]?[] Segments = new byte[]?[segmentCapacity];
        public int SegmentCount;
        public int Used;
        public int Count;
        public long LiveBytes;
        public long DeadBytes;
    }
}
