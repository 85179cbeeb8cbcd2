using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Server.Configuration;
using LivePatch.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Manifests;

/// <summary>The signed repository index: every coverage bin with its version, SHA-256 and size, where a mirror starts to
/// sync. Re-signed by the writer after bins change and before it expires; a GET never signs.</summary>
/// <remarks>It names bins, not manifests: 256 entries per channel (about 30 KB) however many kernels are covered.</remarks>
public sealed class IndexService(CoverageService coverage, RepositoryKeys keys, IOptions<RepositoryOptions> options, TimeProvider time,
    RepositoryMetrics metrics)
{
    private volatile ServedDocument? _current;
    private long _renderedAtChange = -1;

    /// <summary>The signed index; null only before the first start has rendered it.</summary>
    public ServedDocument? CurrentOrNull => _current;

    /// <summary>True when there is no index yet, a bin changed since it was signed, or it has less than half its lifetime left.</summary>
    public bool NeedsRendering =>
        _current is not { } current || Interlocked.Read(ref _renderedAtChange) != coverage.ChangeCount || coverage.NeedsResigning(current);

    /// <summary>Signs a new index of the bins now served; call under the writer lock inside its transaction, with its version
    /// allocator, and hand the result to <see cref="Apply"/> once the transaction has committed.</summary>
    public RenderedIndex Render(Func<long> nextVersion)
    {
        var changes = coverage.ChangeCount;
        var issued = time.GetUtcNow();
        var index = new RepositoryIndex
        {
            Schema = RepositoryIndex.CurrentSchema,
            Repository = options.Value.RepositoryId,
            Version = (ulong)nextVersion(),
            Issued = issued,
            Expires = issued + options.Value.ManifestLifetime,
            Bins = coverage.All()
                .Select(b => new IndexBin { Channel = b.Channel, Prefix = b.Prefix, Version = (ulong)b.Document.Version, Sha256 = b.Document.Sha256, Size = b.Document.Bytes.Length })
                .ToList(),
        };
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var signed = keys.DocumentSigner.Sign(ManifestSerializer.Serialize(index), LivePatchOids.RepositoryIndexContentType, issued);
        metrics.Signed(DocumentKind.Index, System.Diagnostics.Stopwatch.GetElapsedTime(start));
        return new RenderedIndex(new ServedDocument(signed, (long)index.Version, index.Expires), changes);
    }

    /// <summary>Starts serving an index whose version is committed.</summary>
    public void Apply(RenderedIndex rendered)
    {
        _current = rendered.Document;
        Interlocked.Exchange(ref _renderedAtChange, rendered.AtChange);
    }
}

/// <summary>A signed index and the bin change count it reflects.</summary>
public sealed record RenderedIndex(ServedDocument Document, long AtChange);
