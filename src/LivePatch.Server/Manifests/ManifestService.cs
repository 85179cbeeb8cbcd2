using LivePatch.Server.ReadPath;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Server.Configuration;
using LivePatch.Server.Storage;
using LivePatch.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Manifests;

/// <summary>Renders, signs, stores and serves manifests; signing happens on change and before expiry, never per request.</summary>
/// <remarks>
/// Every stored manifest is held in memory, so a GET is a dictionary lookup; the hot read path finds it in an
/// <see cref="IServedManifestStore"/> (by default a <see cref="ManifestTable"/>, which packs each one's key, ETag and bytes
/// together). A build ID with no manifest is answered with 404 and nothing is signed for it: its signed coverage bin (<see cref="CoverageService"/>) says it is not
/// covered, so asking for random build IDs costs a lookup, never a signature or memory.
/// </remarks>
public sealed class ManifestService
{
    private readonly RepositoryDatabase _db;
    private readonly RepositoryKeys _keys;
    private readonly RepositoryOptions _options;
    private readonly TimeProvider _time;
    private readonly RepositoryMetrics _metrics;
    /// <summary>What is known of each stored manifest besides its signed bytes, which only <see cref="_table"/> holds (keeping
    /// them twice cost about 1.5 KB per kernel). Keyed by channel and build ID, each the one instance that the options and
    /// the patch catalog hold (a <c>channel/buildId</c> string of its own cost about 120 bytes per kernel).</summary>
    private readonly ConcurrentDictionary<ServedKey, ManifestFacts> _served = new();

    /// <summary>Each coverage bin's entries (by <c>channel/prefix</c>): build ID, version, SHA-256 and size of each manifest it
    /// lists, sorted by build ID (ordinal), in a list of structs (64 bytes a kernel, aligned for the SHA-256's two UInt128
    /// halves; an object per entry would cost a header and a reference more), so that rendering a bin reads its entries in
    /// order instead of looking each kernel up.</summary>
    /// <remarks>Looking up each of a bin's ~400 kernels (at 100,000) in <see cref="_served"/> was most of a bin's rendering:
    /// a cache miss or more per kernel, and a batch publish renders all 256 bins. The SHA-256 lives here only.</remarks>
    private readonly Dictionary<string, List<CoveredEntry>> _bins = new(StringComparer.Ordinal);
    private readonly IServedManifestStore _table;

    /// <summary>Guards <see cref="_liveInBatch"/>, <see cref="_deadBatches"/> and <see cref="_unreadable"/>.</summary>
    private readonly Lock _records = new();

    /// <summary>How many records of each <see cref="ManifestBatchDocument"/> are the newest of their key (served, or
    /// unreadable at start): a batch with none is dead.</summary>
    private readonly Dictionary<int, int> _liveInBatch = [];

    /// <summary>Batch documents none of whose records is the newest of its key any longer, found after the commit that
    /// replaced the last of them: the next render's transaction deletes them (after a rollback of it, the next start finds
    /// them again).</summary>
    private readonly HashSet<int> _deadBatches = [];

    /// <summary>Keys whose newest record's signed bytes were missing or damaged at start, with its batch: not served, signed
    /// again before requests; the batch is kept until then, so an older record of the key never becomes the newest.</summary>
    private readonly Dictionary<string, int> _unreadable = new(StringComparer.Ordinal);

    public ManifestService(RepositoryDatabase db, RepositoryKeys keys, IOptions<RepositoryOptions> options, TimeProvider time,
        RepositoryMetrics metrics)
    {
        _db = db;
        _metrics = metrics;
        _keys = keys;
        _options = options.Value;
        _time = time;
        _table = ReadPathSetting.CreateStore(_options.ChosenReadPath());
        LoadStored();
    }

    /// <summary>Serves every stored manifest whose signed bytes are intact; the kernels of the others (a lost or damaged
    /// segment) are marked pending, so the start-up signs them again before requests.</summary>
    private void LoadStored()
    {
        // The newest record of each key (small; RepositoryDatabase migrated older layouts), then the bytes a segment at a
        // time, served in chunks, so that start-up never holds every signed document at once besides the table.
        var newest = new Dictionary<string, ManifestDocument>(StringComparer.Ordinal);
        var batches = new List<int>();
        foreach (var batch in _db.ManifestBatches.FindAll())
        {
            batches.Add(batch.Id);
            foreach (var record in ManifestBatchCodec.Unpack(batch))
            {
                if (!newest.TryGetValue(record.Id, out var seen) || seen.Version < record.Version)
                {
                    newest[record.Id] = record;
                }
            }
        }

        var unreadable = new List<string>();
        foreach (var chunk in _db.Signed.ReadAll(newest.Values).Chunk(4096))
        {
            var loaded = new List<RenderedManifest>(chunk.Length);
            foreach (var (doc, signed) in chunk)
            {
                if (signed is not null)
                {
                    loaded.Add(new RenderedManifest(doc, signed));
                }
                else
                {
                    unreadable.Add(doc.BuildId);
                    lock (_records)
                    {
                        _unreadable[doc.Id] = doc.Batch;
                        Count(doc.Batch, +1);
                    }
                }
            }

            Apply(loaded);
        }

        lock (_records)
        {
            _deadBatches.UnionWith(batches.Where(id => !_liveInBatch.ContainsKey(id)));
        }

        _db.PendingRenders.Upsert(unreadable.Distinct(StringComparer.Ordinal).Select(id => new PendingRenderDocument { Id = id }));
    }

    /// <summary>A stored manifest by its key <c>channel/buildId</c> (the tail of its URL), without allocating: the hot read path.</summary>
    /// <remarks>Only canonical keys are ever stored, so a hit needs no further validation of the build ID.</remarks>
    public bool TryGetStored(ReadOnlySpan<char> key, out StoredManifest manifest) => _table.TryGet(key, out manifest);

    /// <summary>The signed manifest of a kernel in a channel, or null when the channel has never had a patch for it.</summary>
    /// <remarks>A copy of the bytes, for the endpoints (a Range request, a HEAD the middleware passed on); the hot path reads
    /// them in place through <see cref="TryGetStored"/>.</remarks>
    public ServedDocument? GetOrNull(string channel, string buildId)
    {
        var key = ManifestDocument.KeyOf(channel, buildId);
        return _served.TryGetValue(new ServedKey(channel, buildId), out var facts) && _table.TryGet(key, out var stored)
            ? new ServedDocument(stored.Body.ToArray(), facts.Version, DateTimeOffset.FromUnixTimeMilliseconds(facts.ExpiresMs))
            : null;
    }

    /// <summary>Re-renders the manifests of the given kernels in every channel; call inside the writer's transaction, with
    /// the writer's version allocator. Marks the coverage bins of what it renders as pending, in the same transaction.</summary>
    /// <returns>The new documents, to hand to <see cref="Apply"/> once the transaction has committed.</returns>
    /// <param name="buildIds">The kernels.</param>
    /// <param name="nextVersion">The writer's version allocator.</param>
    public IReadOnlyList<RenderedManifest> RenderInTransaction(IEnumerable<string> buildIds, Func<long> nextVersion)
    {
        var rendered = new List<RenderedManifest>();
        var records = new List<ManifestDocument>();
        var bins = new HashSet<string>(StringComparer.Ordinal);
        var kernels = buildIds.Distinct(StringComparer.Ordinal).ToList();
        foreach (var buildId in kernels)
        {
            var patches = _db.PatchesFor(buildId);
            foreach (var channel in _options.Channels)
            {
                var key = ManifestDocument.KeyOf(channel, buildId);
                if (!patches.Any(p => p.Channels.ContainsKey(channel)) && !_served.ContainsKey(new ServedKey(channel, buildId)))
                {
                    continue; // never had anything in this channel: its bin says it is not covered
                }

                var manifest = ManifestBuilder.Build(_options.RepositoryId, channel, buildId, patches, nextVersion(), _time.GetUtcNow(), _options.ManifestLifetime);
                var signed = Sign(manifest);
                var doc = new ManifestDocument
                {
                    Id = key, Channel = channel, BuildId = buildId, Version = (long)manifest.Version, ExpiresMs = manifest.Expires.ToUnixTimeMilliseconds(),
                };
                doc.Locate(_db.Signed.Append(signed), Convert.ToHexStringLower(SHA256.HashData(signed)));
                records.Add(doc);
                bins.Add(BinDocument.KeyOf(channel, CoverageBin.PrefixOf(buildId)));
                rendered.Add(new RenderedManifest(doc, signed));
            }
        }

        // The batch's records in one document: an insert, where a document per manifest cost a primary key lookup and an
        // upsert each.
        if (records.Count > 0)
        {
            var batch = new ManifestBatchDocument { Records = ManifestBatchCodec.Pack(records) };
            _db.ManifestBatches.Insert(batch);
            records.ForEach(r => r.Batch = batch.Id);
        }

        lock (_records)
        {
            foreach (var dead in _deadBatches)
            {
                _db.ManifestBatches.Delete(dead);
            }

            _deadBatches.Clear();
        }

        _db.MarkBinsPending(bins);
        return rendered;
    }

    /// <summary>The first of these kernels whose <paramref name="channel"/> manifest, with the patches <paramref name="patchesOf"/>
    /// gives, would serialize to more than <c>LivePatch:MaxManifestBytes</c>; null when every one fits.</summary>
    /// <remarks>Measured as the widest re-signing could write it (version 2^53 − 1, seven fractional digits in its dates),
    /// so a manifest accepted now never outgrows the budget when the timer re-signs it.</remarks>
    public ManifestSize? FirstOverBudgetOrNull(string channel, IEnumerable<string> buildIds, Func<string, IEnumerable<PatchDocument>> patchesOf)
    {
        var now = _time.GetUtcNow();
        var issued = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond + TimeSpan.TicksPerSecond - 1, TimeSpan.Zero);
        // Kernels with the same patches (by id: within one call the patches are the same documents; a new one has id 0)
        // and build IDs of the same length have manifests of the same size: a bulk publish to 10,000 new kernels
        // measures one, not 10,000 (the check runs under the writer lock).
        var distinct = buildIds.Distinct(StringComparer.Ordinal)
            .Select(buildId => (BuildId: buildId, Patches: patchesOf(buildId).ToList()))
            .GroupBy(k => (k.BuildId.Length, string.Join(',', k.Patches.Select(p => p.Id))))
            .Select(g => g.First());
        foreach (var (buildId, patches) in distinct)
        {
            var manifest = ManifestBuilder.Build(_options.RepositoryId, channel, buildId, patches, (long)ManifestLimits.MaxVersion, issued, _options.ManifestLifetime);
            var bytes = ManifestSerializer.Serialize(manifest).Length;
            if (bytes > _options.MaxManifestBytes)
            {
                return new ManifestSize(channel, buildId, bytes);
            }
        }

        return null;
    }

    /// <summary>Starts serving documents whose transaction committed; the bytes of the documents they replace are dead space
    /// in the <see cref="SignedStore"/> from now on.</summary>
    public void Apply(IReadOnlyList<RenderedManifest> documents)
    {
        _table.SetAll(documents.Select(d => (d.Document.Id, $"\"{d.Document.Sha256}\"", d.Signed)).ToList());
        lock (_records)
        {
            foreach (var (doc, _) in documents)
            {
                var location = doc.LocationOf();
                _db.Signed.Retain(location);
                Count(doc.Batch, +1);
                var key = new ServedKey(SharedChannel(doc.Channel), SetInBin(doc.Channel, CoveredEntry.Of(doc.BuildId, (ulong)doc.Version, doc.Sha256, doc.Length)));
                if (_served.TryGetValue(key, out var old))
                {
                    _db.Signed.Release(old.Location);
                    Count(old.Batch, -1);
                }
                else if (_unreadable.Remove(doc.Id, out var batch))
                {
                    Count(batch, -1);
                }

                _served[key] = new ManifestFacts(doc.Version, doc.ExpiresMs, location, doc.Batch);
            }
        }
    }

    /// <summary>Counts a record of <paramref name="batch"/> that became (+1) or stopped being (−1) the newest of its key; a
    /// batch left with none is dead. Call under <see cref="_records"/>.</summary>
    private void Count(int batch, int delta)
    {
        var live = _liveInBatch.GetValueOrDefault(batch) + delta;
        if (live > 0)
        {
            _liveInBatch[batch] = live;
            _deadBatches.Remove(batch);
        }
        else
        {
            _liveInBatch.Remove(batch);
            _deadBatches.Add(batch);
        }
    }

    /// <summary>The kernels one coverage bin lists: every stored manifest of <paramref name="channel"/> whose build ID starts
    /// with <paramref name="prefix"/>, sorted by build ID (ordinal), with the version, SHA-256 and size of its signed bytes;
    /// with <paramref name="staged"/> (manifests signed in the running transaction, not served yet), those in place of the
    /// served ones.</summary>
    public CoveredEntry[] CoveredKernels(string channel, string prefix, IReadOnlyList<RenderedManifest>? staged = null)
    {
        Dictionary<string, ManifestDocument>? fresh = null;
        foreach (var (doc, _) in staged ?? [])
        {
            if (doc.Channel == channel && doc.BuildId.StartsWith(prefix, StringComparison.Ordinal))
            {
                (fresh ??= new(StringComparer.Ordinal))[doc.BuildId] = doc; // a later render of the group's replaces an earlier one
            }
        }

        CoveredEntry[] served;
        lock (_bins)
        {
            served = _bins.TryGetValue(BinDocument.KeyOf(channel, prefix), out var list) ? [.. list] : [];
        }

        if (fresh is null)
        {
            return served;
        }

        // Both sorted by build ID: merged, a staged manifest in place of the served one of its kernel.
        var staging = fresh.Values.OrderBy(d => d.BuildId, StringComparer.Ordinal)
            .Select(d => CoveredEntry.Of(d.BuildId, (ulong)d.Version, d.Sha256, d.Length)).ToList();
        var merged = new List<CoveredEntry>(served.Length + staging.Count);
        var (i, j) = (0, 0);
        while (i < served.Length || j < staging.Count)
        {
            var order = i == served.Length ? 1 : j == staging.Count ? -1 : string.CompareOrdinal(served[i].BuildId, staging[j].BuildId);
            merged.Add(order < 0 ? served[i++] : staging[j++]);
            if (order == 0)
            {
                i++;
            }
        }

        return [.. merged];
    }

    /// <summary>How many manifests are served, and when the first of them expires (null when there are none).</summary>
    /// <remarks>Reads every manifest's facts (in memory): for the dashboard's summary, not for the read path.</remarks>
    public (int Count, DateTimeOffset? EarliestExpiry) ServedSummary()
    {
        var (count, earliest) = (0, long.MaxValue);
        foreach (var facts in _served.Values)
        {
            (count, earliest) = (count + 1, Math.Min(earliest, facts.ExpiresMs));
        }

        return (count, count == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(earliest));
    }

    /// <summary>Build IDs whose stored manifest has less than half its lifetime left.</summary>
    public IReadOnlyList<string> DueForResigning()
    {
        var due = (_time.GetUtcNow() + (_options.ManifestLifetime / 2)).ToUnixTimeMilliseconds();
        return _served.Where(kv => kv.Value.ExpiresMs < due).Select(kv => kv.Key.BuildId).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The expiry of every stored manifest, for the readiness check (read from memory).</summary>
    public IEnumerable<DateTimeOffset> Expiries() => _served.Values.Select(f => DateTimeOffset.FromUnixTimeMilliseconds(f.ExpiresMs));

    /// <summary>How many stored manifests have less than half their lifetime left (each channel's counts), and the earliest
    /// expiry of all: what the metrics' gauges show, counted without making a list.</summary>
    public (long Due, DateTimeOffset? Nearest) ExpiryFacts()
    {
        var due = (_time.GetUtcNow() + (_options.ManifestLifetime / 2)).ToUnixTimeMilliseconds();
        var count = 0L;
        var nearest = long.MaxValue;
        foreach (var (_, facts) in _served)
        {
            count += facts.ExpiresMs < due ? 1 : 0;
            nearest = Math.Min(nearest, facts.ExpiresMs);
        }

        return (count, nearest == long.MaxValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(nearest));
    }

    private byte[] Sign(Manifest manifest)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var signed = _keys.DocumentSigner.Sign(ManifestSerializer.Serialize(manifest), LivePatchOids.ManifestContentType, manifest.Issued);
        _metrics.Signed(DocumentKind.Manifest, System.Diagnostics.Stopwatch.GetElapsedTime(start));
        return signed;
    }

    /// <summary>Puts a manifest's entry in its bin's sorted list, in place of the kernel's earlier one; returns the build ID
    /// instance the bin holds (the patch catalog's, when it has the kernel), for the other tables to share.</summary>
    private string SetInBin(string channel, CoveredEntry entry)
    {
        lock (_bins)
        {
            var key = BinDocument.KeyOf(channel, CoverageBin.PrefixOf(entry.BuildId));
            if (!_bins.TryGetValue(key, out var list))
            {
                _bins[key] = list = [];
            }

            var at = list.BinarySearch(entry, ByBuildId);
            if (at >= 0)
            {
                list[at] = entry with { BuildId = list[at].BuildId };
                return list[at].BuildId;
            }

            var shared = _db.SharedBuildId(entry.BuildId);
            list.Insert(~at, entry with { BuildId = shared });
            return shared;
        }
    }

    /// <summary>The configured instance of a channel's name (a stored record's own string would be one more per kernel).</summary>
    private string SharedChannel(string channel) => _options.Channels.FirstOrDefault(c => c == channel) ?? channel;

    /// <summary>A served manifest's key: equal by value (ordinal), built from the shared strings when stored.</summary>
    private readonly record struct ServedKey(string Channel, string BuildId);

    /// <summary>The order of a bin's entries: by build ID, ordinal.</summary>
    private static readonly IComparer<CoveredEntry> ByBuildId = Comparer<CoveredEntry>.Create((x, y) => string.CompareOrdinal(x.BuildId, y.BuildId));
}

/// <summary>A stored manifest's version, expiry, where its signed bytes are stored (with their size) and the batch document
/// holding its record (its SHA-256 is in its coverage bin's entry).</summary>
/// <remarks>A struct, held inside the dictionary's node: as a class it cost a header and a reference more per kernel. The
/// dictionary replaces a node to change it, so a reader never sees half of one.</remarks>
internal readonly record struct ManifestFacts(long Version, long ExpiresMs, SignedLocation Location, int Batch);

/// <summary>A manifest's record and its signed bytes, rendered in a transaction, served once it commits.</summary>
public sealed record RenderedManifest(ManifestDocument Document, byte[] Signed);

/// <summary>How large one manifest (channel, kernel) would be, serialized.</summary>
public sealed record ManifestSize(string Channel, string BuildId, int Bytes);
