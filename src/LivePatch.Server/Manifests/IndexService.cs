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

    /// <summary>Signs a new index of the bins now served, and of <paramref name="staged"/> in their place (bins signed in the same
    /// transaction, served just before this index); call under the writer lock inside its transaction, with its version
    /// allocator, and hand the result to <see cref="Apply"/> once the transaction has committed and the staged bins are applied.</summary>
    public RenderedIndex Render(Func<long> nextVersion, IReadOnlyList<RenderedBin>? staged = null)
    {
        // Applying staged bins counts as one change of the coverage (CoverageService.Apply): this index reflects it.
        var changes = coverage.ChangeCount + (staged is { Count: > 0 } ? 1 : 0);
        var issued = time.GetUtcNow();
        var index = new RepositoryIndex
        {
            Schema = RepositoryIndex.CurrentSchema,
            Repository = options.Value.RepositoryId,
            Version = (ulong)nextVersion(),
            Issued = issued,
            Expires = issued + options.Value.ManifestLifetime,
            Bins = [.. coverage.Listed(staged ?? [])],
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
