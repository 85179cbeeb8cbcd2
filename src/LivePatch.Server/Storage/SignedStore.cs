using System.Globalization;
using LivePatch.Core;
using Microsoft.Win32.SafeHandles;

namespace LivePatch.Server.Storage;

/// <summary>Where one signed document's bytes are: a segment file, an offset in it and a length.</summary>
public readonly record struct SignedLocation(int Segment, long Offset, int Length);

/// <summary>The signed bytes of manifests and coverage bins, in append-only segment files (<c>signed/00000001.seg</c>, …);
/// LiteDB keeps only each document's version, expiry, SHA-256 and <see cref="SignedLocation"/>.</summary>
/// <remarks>
/// A signed manifest stored in LiteDB cost a 2.7 KB document upsert, its pages in LiteDB's log and at checkpoint, and those
/// pages in LiteDB's unbounded page cache afterwards. Here it costs an append to a buffered file, and a batch of them one
/// fsync: <see cref="RepositoryDatabase.InTransaction{T}"/> calls <see cref="Sync"/> before every commit, so a committed
/// record never names bytes that are not on disk. A crash before the commit leaves appended bytes that no record names:
/// dead space, like a replaced document's old bytes.
/// <para>Space: a segment is closed at <see cref="SegmentBytes"/>; each start appends to a new one (the tail of the last may
/// be a torn write). The live bytes of each segment are counted as documents are served and replaced
/// (<see cref="Retain"/>, <see cref="Release"/>); a closed segment with none is deleted at start and by
/// <see cref="DeleteDeadSegments"/>. A re-sign of every document before expiry (every half lifetime) leaves the segments
/// before it dead, so the store stays within about twice the live bytes.</para>
/// <para>Only <see cref="RepositoryDatabase"/>'s writer (under the writer lock) appends; reads happen at start, before
/// requests (the served bytes are then held in memory).</para>
/// </remarks>
public sealed class SignedStore : IDisposable
{
    /// <summary>The size at which a segment is closed and the next one started.</summary>
    public const long SegmentBytes = 64L << 20;

    private const string Extension = ".seg";

    private readonly string _folder;
    private readonly long _segmentBytes;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, long> _live = [];
    private readonly Dictionary<int, SafeFileHandle> _readers = [];
    private FileStream? _head;
    private int _headNumber;
    private bool _headIsNew;
    private bool _unsynced;
    private int _unreadable;

    /// <param name="folder">The store's folder (created when missing).</param>
    /// <param name="segmentBytes">Where a segment is closed: <see cref="SegmentBytes"/>, smaller in tests.</param>
    public SignedStore(string folder, long segmentBytes = SegmentBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentBytes, 4096);
        _folder = Path.GetFullPath(folder);
        _segmentBytes = segmentBytes;
        if (!Directory.Exists(_folder))
        {
            Directory.CreateDirectory(_folder);
            DirectorySync.Flush(Path.GetDirectoryName(_folder)!);
        }

        _headNumber = Segments().DefaultIfEmpty(0).Max() + 1;
    }

    /// <summary>Appends one document's bytes; durable only after the next <see cref="Sync"/>.</summary>
    public SignedLocation Append(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
        {
            if (_head is { } full && full.Position > 0 && full.Position + bytes.Length > _segmentBytes)
            {
                CloseHead();
            }

            var head = _head ??= OpenHead();
            var at = new SignedLocation(_headNumber, head.Position, bytes.Length);
            head.Write(bytes);
            _unsynced = true;
            return at;
        }
    }

    /// <summary>Makes every append so far durable (fsync of the segment; of the folder too when the segment is new). Does
    /// nothing when nothing was appended since the last call.</summary>
    public void Sync()
    {
        lock (_gate)
        {
            if (_head is not { } head || !_unsynced)
            {
                return; // a transaction that signed nothing (the index's, a listing's) costs no fsync
            }

            head.Flush(flushToDisk: true);
            _unsynced = false;
            if (_headIsNew)
            {
                DirectorySync.Flush(_folder); // the new segment's name, or its bytes could be lost with it after a power cut
                _headIsNew = false;
            }
        }
    }

    /// <summary>Reads one document's bytes (at start, before requests).</summary>
    /// <exception cref="IOException">The segment is missing or shorter than the location says.</exception>
    public byte[] Read(SignedLocation at)
    {
        lock (_gate)
        {
            if (at.Segment == _headNumber)
            {
                _head?.Flush();
            }

            if (!_readers.TryGetValue(at.Segment, out var handle))
            {
                _readers[at.Segment] = handle = File.OpenHandle(PathOf(at.Segment), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }

            var bytes = new byte[at.Length];
            if (RandomAccess.Read(handle, bytes, at.Offset) != at.Length)
            {
                throw new IOException($"Signed document at {at} is cut short: segment {PathOf(at.Segment)} ends before it.");
            }

            return bytes;
        }
    }

    /// <summary>A record's bytes when they are there and hash to its SHA-256; null (and counted in
    /// <see cref="UnreadableCount"/>) when the segment is missing, too short or the bytes differ: a lost or damaged segment,
    /// whose documents the caller signs again rather than serve.</summary>
    public byte[]? ReadOrNull(SignedLocation at, string sha256)
    {
        try
        {
            var bytes = Read(at);
            if (Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)) == sha256)
            {
                return bytes;
            }
        }
        catch (IOException)
        {
        }

        Interlocked.Increment(ref _unreadable);
        return null;
    }

    /// <summary>The bytes of many records (the start-up's load), each checked as <see cref="ReadOrNull"/> does (null when
    /// missing or damaged), read one whole segment at a time: sequential reads, not one per record in key order.</summary>
    public IEnumerable<(T Record, byte[]? Signed)> ReadAll<T>(IEnumerable<T> records) where T : ISignedRecord
    {
        foreach (var segment in records.GroupBy(r => r.Segment))
        {
            byte[]? file;
            try
            {
                file = File.ReadAllBytes(PathOf(segment.Key));
            }
            catch (IOException)
            {
                file = null;
            }

            foreach (var record in segment)
            {
                yield return (record, Slice(file, record));
            }
        }
    }

    private byte[]? Slice(byte[]? file, ISignedRecord record)
    {
        if (file is not null && record.Offset >= 0 && record.Length >= 0 && record.Offset + record.Length <= file.Length)
        {
            var bytes = file.AsSpan((int)record.Offset, record.Length).ToArray();
            if (Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)) == record.Sha256)
            {
                return bytes;
            }
        }

        Interlocked.Increment(ref _unreadable);
        return null;
    }

    /// <summary>How many records <see cref="ReadOrNull"/> or <see cref="ReadAll"/> found without their bytes since the store
    /// was opened.</summary>
    public int UnreadableCount => Volatile.Read(ref _unreadable);

    /// <summary>Counts a document served from these bytes (its record is committed).</summary>
    public void Retain(SignedLocation at)
    {
        lock (_gate)
        {
            _live[at.Segment] = _live.GetValueOrDefault(at.Segment) + at.Length;
        }
    }

    /// <summary>Stops counting bytes no committed record names any longer (a document replaced).</summary>
    public void Release(SignedLocation at)
    {
        lock (_gate)
        {
            _live[at.Segment] = _live.GetValueOrDefault(at.Segment) - at.Length;
        }
    }

    /// <summary>The segments, but the one being appended to, that hold no live document.</summary>
    public IReadOnlyList<int> DeadSegments()
    {
        lock (_gate)
        {
            return [.. Segments().Where(n => n != _headNumber && _live.GetValueOrDefault(n) <= 0)];
        }
    }

    /// <summary>Deletes every segment but the one being appended to that holds no live document (of
    /// <paramref name="among"/> only, when given); returns how many.</summary>
    /// <remarks>Call when every stored record has been <see cref="Retain"/>ed (after start-up loaded them) and only once
    /// the commits that released their bytes are durable: a crash must never bring back a record naming a deleted segment.</remarks>
    public int DeleteDeadSegments(IReadOnlyCollection<int>? among = null)
    {
        lock (_gate)
        {
            var dead = DeadSegments().Where(n => among is null || among.Contains(n)).ToList();
            foreach (var number in dead)
            {
                if (_readers.Remove(number, out var handle))
                {
                    handle.Dispose();
                }

                File.Delete(PathOf(number));
                _live.Remove(number);
            }

            if (dead.Count > 0)
            {
                DirectorySync.Flush(_folder);
            }

            return dead.Count;
        }
    }

    /// <summary>Bytes on disk and bytes of documents served, for the logs and tests.</summary>
    public (long OnDisk, long Live) Usage()
    {
        lock (_gate)
        {
            _head?.Flush();
            return (Segments().Sum(n => new FileInfo(PathOf(n)).Length), _live.Values.Sum());
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _head?.Dispose();
            _head = null;
            foreach (var handle in _readers.Values)
            {
                handle.Dispose();
            }

            _readers.Clear();
        }
    }

    /// <summary>The numbers of the segment files present; other files in the folder are never touched.</summary>
    private IEnumerable<int> Segments() =>
        Directory.EnumerateFiles(_folder, "*" + Extension)
            .Select(path => Path.GetFileNameWithoutExtension(path))
            .Where(name => name.Length == 8 && name.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name, CultureInfo.InvariantCulture))
            .ToList();

    private string PathOf(int number) => Path.Combine(_folder, number.ToString("D8", CultureInfo.InvariantCulture) + Extension);

    private FileStream OpenHead()
    {
        _headIsNew = true;
        return new FileStream(PathOf(_headNumber), FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, 1 << 20);
    }

    /// <summary>Closes a full segment durably: records committed later may name its bytes.</summary>
    private void CloseHead()
    {
        Sync();
        _head!.Dispose();
        _head = null;
        _headNumber++;
    }
}
