using System.Collections.Concurrent;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Server.Configuration;
using LivePatch.Server.Storage;
using LivePatch.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Manifests;

/// <summary>Renders, signs, stores and serves the coverage bins: per channel, 256 signed lists of the kernels that have a
/// manifest, by the first two hex digits of the build ID (docs/manifests.md, "Coverage bins").</summary>
/// <remarks>
/// A bin is re-signed when a manifest it lists changes (the manifest's transaction marks it pending) and before it
/// expires; every configured channel has all 256, empty ones included, so that a host behind any mirror can verify
/// "not covered" for any build ID.
/// </remarks>
public sealed class CoverageService
{
    private readonly RepositoryDatabase _db;
    private readonly ManifestService _manifests;
    private readonly RepositoryKeys _keys;
    private readonly RepositoryOptions _options;
    private readonly TimeProvider _time;
    private readonly RepositoryMetrics _metrics;
    private readonly ConcurrentDictionary<string, ServedDocument> _served = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SignedLocation> _locations = new(StringComparer.Ordinal);
    private long _changes;

    public CoverageService(RepositoryDatabase db, ManifestService manifests, RepositoryKeys keys, IOptions<RepositoryOptions> options, TimeProvider time,
        RepositoryMetrics metrics)
    {
        _db = db;
        _metrics = metrics;
        _manifests = manifests;
        _keys = keys;
        _options = options.Value;
        _time = time;
        var configured = AllKeys().ToHashSet(StringComparer.Ordinal);
        foreach (var doc in _db.Bins.FindAll().Where(d => configured.Contains(d.Id)))
        {
            // A bin whose bytes are lost or damaged is missing: the start-up signs it again before requests.
            if ((doc.Signed ?? _db.Signed.ReadOrNull(doc.LocationOf(), doc.Sha256)) is { } signed)
            {
                Serve(doc, signed);
            }
        }
    }

    /// <summary>The key <c>channel/prefix</c> of every bin of every configured channel, in index order.</summary>
    public IEnumerable<string> AllKeys() =>
        _options.Channels.Order(StringComparer.Ordinal).SelectMany(channel => Enumerable.Range(0, 256).Select(p => BinDocument.KeyOf(channel, $"{p:x2}")));

    /// <summary>The signed bin, or null for a channel that is not configured (or before the first start finished rendering).</summary>
    public ServedDocument? GetOrNull(string channel, string prefix) =>
        _served.TryGetValue(BinDocument.KeyOf(channel, prefix), out var served) ? served : null;

    /// <summary>Rises whenever a served bin changes; the index compares it to know when to re-render.</summary>
    public long ChangeCount => Interlocked.Read(ref _changes);

    /// <summary>Bins of configured channels not signed yet (a first start, a new channel).</summary>
    public IReadOnlyList<string> Missing() => AllKeys().Where(key => !_served.ContainsKey(key)).ToList();

    /// <summary>Bins of configured channels not signed yet (a first start, a new channel) or with less than half their
    /// lifetime left.</summary>
    public IReadOnlyList<string> MissingOrDue() =>
        AllKeys().Where(key => !_served.TryGetValue(key, out var bin) || NeedsResigning(bin)).ToList();

    /// <summary>Re-renders these bins from the manifests now served, and <paramref name="staged"/> (signed in the same
    /// transaction) in place of the ones they replace; call inside the writer's transaction, with the writer's version
    /// allocator.</summary>
    /// <returns>The new documents, to hand to <see cref="Apply"/> once the transaction has committed.</returns>
    public IReadOnlyList<RenderedBin> RenderInTransaction(IEnumerable<string> binKeys, Func<long> nextVersion,
        IReadOnlyList<RenderedManifest>? staged = null)
    {
        var rendered = new List<RenderedBin>();
        foreach (var key in binKeys.Distinct(StringComparer.Ordinal))
        {
            var slash = key.IndexOf('/');
            var (channel, prefix) = (key[..slash], key[(slash + 1)..]);
            if (!_options.Channels.Contains(channel))
            {
                continue; // a channel removed from the configuration: its bins are no longer served
            }

            var issued = _time.GetUtcNow();
            var bin = new CoverageBin
            {
                Schema = CoverageBin.CurrentSchema,
                Repository = _options.RepositoryId,
                Channel = channel,
                Prefix = prefix,
                Version = (ulong)nextVersion(),
                Issued = issued,
                Expires = issued + _options.ManifestLifetime,
                Kernels = [],
            };
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var json = CoverageBinSerializer.Serialize(bin, _manifests.CoveredKernels(channel, prefix, staged));
            var signed = _keys.DocumentSigner.Sign(json, LivePatchOids.CoverageBinContentType, issued);
            _metrics.Signed(DocumentKind.CoverageBin, System.Diagnostics.Stopwatch.GetElapsedTime(start));
            var doc = new BinDocument { Id = key, Version = (long)bin.Version, ExpiresMs = bin.Expires.ToUnixTimeMilliseconds() };
            doc.Locate(_db.Signed.Append(signed), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(signed)));
            _db.Bins.Upsert(doc);
            _db.ClearBinPending(key);
            rendered.Add(new RenderedBin(doc, signed));
        }

        return rendered;
    }

    /// <summary>Starts serving bins whose transaction committed.</summary>
    public void Apply(IReadOnlyList<RenderedBin> documents)
    {
        foreach (var (doc, signed) in documents)
        {
            Serve(doc, signed);
        }

        if (documents.Count > 0)
        {
            Interlocked.Increment(ref _changes);
        }
    }

    /// <summary>Every served bin of a configured channel, in index order.</summary>
    public IEnumerable<(string Channel, string Prefix, ServedDocument Document)> All() =>
        AllKeys().Where(_served.ContainsKey).Select(key => (key[..key.IndexOf('/')], key[(key.IndexOf('/') + 1)..], _served[key]));

    /// <summary>Every bin as the index lists it: <paramref name="staged"/> (signed in the running transaction) in place of the
    /// served ones they replace.</summary>
    public IEnumerable<IndexBin> Listed(IReadOnlyCollection<RenderedBin> staged)
    {
        var replaced = staged.ToDictionary(b => b.Document.Id, StringComparer.Ordinal);
        foreach (var key in AllKeys())
        {
            var slash = key.IndexOf('/');
            if (replaced.GetValueOrDefault(key) is { } bin)
            {
                yield return new IndexBin
                    { Channel = key[..slash], Prefix = key[(slash + 1)..], Version = (ulong)bin.Document.Version, Sha256 = bin.Document.Sha256, Size = bin.Signed.Length };
            }
            else if (_served.TryGetValue(key, out var served))
            {
                yield return new IndexBin
                    { Channel = key[..slash], Prefix = key[(slash + 1)..], Version = (ulong)served.Version, Sha256 = served.Sha256, Size = served.Bytes.Length };
            }
        }
    }

    public bool NeedsResigning(ServedDocument document) => document.Expires - _time.GetUtcNow() < _options.ManifestLifetime / 2;

    /// <summary>Serves a bin whose record is committed; the bytes of the one it replaces are dead space from now on.</summary>
    private void Serve(BinDocument doc, byte[] signed)
    {
        var location = doc.LocationOf();
        _db.Signed.Retain(location);
        if (_locations.TryGetValue(doc.Id, out var old))
        {
            _db.Signed.Release(old);
        }

        _locations[doc.Id] = location;
        _served[doc.Id] = new ServedDocument(signed, doc.Version, DateTimeOffset.FromUnixTimeMilliseconds(doc.ExpiresMs));
    }
}

/// <summary>A bin's record and its signed bytes, rendered in a transaction, served once it commits.</summary>
public sealed record RenderedBin(BinDocument Document, byte[] Signed);
