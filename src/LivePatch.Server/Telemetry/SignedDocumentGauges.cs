using System.Diagnostics.Metrics;
using LivePatch.Server.Manifests;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Telemetry;

/// <summary>The re-sign backlog and the nearest expiry of the repository's signed documents, read when a scrape asks, by the
/// same rules the re-signer follows (<see cref="ResignService"/>, <see cref="Publishing.ManifestWriter.CompletePending"/>).</summary>
/// <remarks>
/// A scrape walks the in-memory facts of every stored manifest once (about a millisecond at 100,000 kernels, no list
/// made) and reads the small pending collections; it never signs, locks the writer or reads a signed document.
/// Scrapes are limited to <c>LivePatch:Metrics:AllowedNetworks</c>, so nobody on the internet can make it run in a loop.
/// </remarks>
public sealed class SignedDocumentGauges(ManifestService manifests, CoverageService coverage, IndexService index, RepositoryDatabase db,
    TimeProvider time) : ISignedDocumentGauges
{
    /// <summary>Manifests due by expiry plus the kernels writes left pending; bins missing, due or pending; the index when
    /// it would be re-signed now.</summary>
    public IEnumerable<Measurement<long>> ResignBacklog()
    {
        var pendingKernels = db.PendingWrites.FindAll().Sum(w => (long)w.BuildIds.Count) + db.PendingRenders.Count();
        var bins = coverage.MissingOrDue().Concat(db.PendingBinKeys()).Distinct(StringComparer.Ordinal).LongCount();
        return
        [
            RepositoryMetrics.Of(DocumentKind.Manifest, manifests.ExpiryFacts().Due + pendingKernels),
            RepositoryMetrics.Of(DocumentKind.CoverageBin, bins),
            RepositoryMetrics.Of(DocumentKind.Index, index.NeedsRendering ? 1L : 0L),
        ];
    }

    /// <summary>Seconds until the first manifest, bin and index to expire does; a kind with no document reports nothing.</summary>
    public IEnumerable<Measurement<double>> NearestExpiry()
    {
        var now = time.GetUtcNow();
        var measurements = new List<Measurement<double>>(3);
        if (manifests.ExpiryFacts().Nearest is { } manifest)
        {
            measurements.Add(RepositoryMetrics.Of(DocumentKind.Manifest, (manifest - now).TotalSeconds));
        }

        if (coverage.All().Select(b => (DateTimeOffset?)b.Document.Expires).Min() is { } bin)
        {
            measurements.Add(RepositoryMetrics.Of(DocumentKind.CoverageBin, (bin - now).TotalSeconds));
        }

        if (index.CurrentOrNull is { } current)
        {
            measurements.Add(RepositoryMetrics.Of(DocumentKind.Index, (current.Expires - now).TotalSeconds));
        }

        return measurements;
    }
}
