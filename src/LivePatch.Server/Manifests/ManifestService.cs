using System.Collections.Concurrent;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Server.Configuration;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Manifests;

/// <summary>Renders, signs, stores and serves manifests; signing happens on change and before expiry, never per request.</summary>
/// <remarks>
/// Every stored manifest is held in memory, so a GET is a dictionary lookup; the hot read path finds it in a
/// <see cref="ManifestTable"/>, which packs each one's key, ETag and bytes together. A build ID with nothing published gets a
/// signed empty manifest (so a host can tell "not covered" from "tampered"); those carry the current version without
/// taking a new one, and live in a bounded cache so that asking for random build IDs cannot grow memory.
/// </remarks>
public sealed class ManifestService
{
    private const int MaxEmptyManifests = 50_000;

    private readonly RepositoryDatabase _db;
    private readonly RepositoryKeys _keys;
    private readonly RepositoryOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, ServedDocument> _served = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ServedDocument> _empty = new(StringComparer.Ordinal);
    private readonly ManifestTable _table = new();
    private long _changes;

    public ManifestService(RepositoryDatabase db, RepositoryKeys keys, IOptions<RepositoryOptions> options, TimeProvider time)
    {
        _db = db;
        _keys = keys;
        _options = options.Value;
        _time = time;
        foreach (var doc in _db.Manifests.FindAll())
        {
            _served[doc.Id] = ToServed(doc);
        }

        _table.SetAll(_served.Select(kv => (kv.Key, kv.Value.ETag, kv.Value.Bytes)).ToList());
    }

    /// <summary>A stored manifest by its key <c>channel/buildId</c> (the tail of its URL), without allocating: the hot read path.</summary>
    /// <remarks>Only canonical keys are ever stored, so a hit needs no further validation of the build ID.</remarks>
    public bool TryGetStored(ReadOnlySpan<char> key, out StoredManifest manifest) => _table.TryGet(key, out manifest);

    /// <summary>The signed manifest for a configured channel and a well-formed build ID.</summary>
    public ServedDocument Get(string channel, string buildId)
    {
        var key = ManifestDocument.KeyOf(channel, buildId);
        if (_served.TryGetValue(key, out var served))
        {
            return served;
        }

        if (_empty.TryGetValue(key, out var empty) && !NeedsResigning(empty))
        {
            return empty;
        }

        if (_empty.Count >= MaxEmptyManifests)
        {
            _empty.Clear();
        }

        var manifest = ManifestBuilder.Build(_options.RepositoryId, channel, buildId, [], _db.CurrentVersion, _time.GetUtcNow(), _options.ManifestLifetime);
        return _empty[key] = Sign(manifest);
    }

    /// <summary>Re-renders the manifests of the given kernels in every channel; call inside the writer's transaction.</summary>
    /// <returns>The new documents, to hand to <see cref="Apply"/> once the transaction has committed.</returns>
    public IReadOnlyList<ManifestDocument> RenderInTransaction(IEnumerable<string> buildIds)
    {
        var rendered = new List<ManifestDocument>();
        foreach (var buildId in buildIds.Distinct(StringComparer.Ordinal))
        {
            var patches = _db.PatchesFor(buildId);
            foreach (var channel in _options.Channels)
            {
                var key = ManifestDocument.KeyOf(channel, buildId);
                if (!patches.Any(p => p.Channels.ContainsKey(channel)) && !_served.ContainsKey(key))
                {
                    continue; // never had anything in this channel: the empty manifest serves it
                }

                var manifest = ManifestBuilder.Build(_options.RepositoryId, channel, buildId, patches, _db.NextVersion(), _time.GetUtcNow(), _options.ManifestLifetime);
                var served = Sign(manifest);
                var doc = new ManifestDocument
                {
                    Id = key, Channel = channel, BuildId = buildId, Version = served.Version,
                    ExpiresMs = served.Expires.ToUnixTimeMilliseconds(), Signed = served.Bytes,
                };
                _db.Manifests.Upsert(doc);
                rendered.Add(doc);
            }
        }

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
        foreach (var buildId in buildIds.Distinct(StringComparer.Ordinal))
        {
            var manifest = ManifestBuilder.Build(_options.RepositoryId, channel, buildId, patchesOf(buildId), (long)ManifestLimits.MaxVersion, issued, _options.ManifestLifetime);
            var bytes = ManifestSerializer.Serialize(manifest).Length;
            if (bytes > _options.MaxManifestBytes)
            {
                return new ManifestSize(channel, buildId, bytes);
            }
        }

        return null;
    }

    /// <summary>Rises whenever a stored manifest changes; the index compares it to know when to re-render.</summary>
    public long ChangeCount => Interlocked.Read(ref _changes);

    /// <summary>Starts serving documents whose transaction committed.</summary>
    public void Apply(IReadOnlyList<ManifestDocument> documents)
    {
        Interlocked.Increment(ref _changes);
        var served = documents.Select(doc => (doc.Id, Served: ToServed(doc))).ToList();
        _table.SetAll(served.Select(s => (s.Id, s.Served.ETag, s.Served.Bytes)).ToList());
        foreach (var (id, document) in served)
        {
            _served[id] = document;
            _empty.TryRemove(id, out _);
        }
    }

    /// <summary>Build IDs whose stored manifest has less than half its lifetime left.</summary>
    public IReadOnlyList<string> DueForResigning() =>
        _served.Values.Count == 0 ? [] : _served.Where(kv => NeedsResigning(kv.Value)).Select(kv => kv.Key.Split('/')[1]).Distinct().ToList();

    public IEnumerable<(string Channel, string BuildId, ServedDocument Document)> All() =>
        _served.Select(kv => (kv.Key.Split('/')[0], kv.Key.Split('/')[1], kv.Value));

    public bool NeedsResigning(ServedDocument document) => document.Expires - _time.GetUtcNow() < _options.ManifestLifetime / 2;

    private ServedDocument Sign(Manifest manifest)
    {
        var signed = _keys.DocumentSigner.Sign(ManifestSerializer.Serialize(manifest), LivePatchOids.ManifestContentType, manifest.Issued);
        return new ServedDocument(signed, (long)manifest.Version, manifest.Expires);
    }

    private static ServedDocument ToServed(ManifestDocument doc) =>
        new(doc.Signed, doc.Version, DateTimeOffset.FromUnixTimeMilliseconds(doc.ExpiresMs));
}

/// <summary>How large one manifest (channel, kernel) would be, serialized.</summary>
public sealed record ManifestSize(string Channel, string BuildId, int Bytes);
