using System.Diagnostics.Metrics;

namespace LivePatch.Server.Telemetry;

/// <summary>What kind of signed document or file a read answered with: the <c>livepatch.document.kind</c> attribute.</summary>
public enum DocumentKind
{
    Manifest,
    CoverageBin,
    Index,
    Blob,
}

/// <summary>Every instrument of the server's own meter (<see cref="MeterName"/>), exported at <c>/metrics</c>
/// (docs/operations.md lists them). Request rate and latency per route are ASP.NET Core's own
/// <c>http.server.request.duration</c>.</summary>
/// <remarks>
/// Names follow the OpenTelemetry conventions (<c>livepatch.…</c>, UCUM units, <c>{annotation}</c> for counts); the
/// Prometheus exporter turns <c>livepatch.documents.served</c> into <c>livepatch_documents_served_total</c>. Every
/// attribute has a small fixed set of values (a document kind, a stable problem code, an authentication reason), so no
/// request can grow the number of series.
/// <para>The read path calls <see cref="DocumentServed"/> for every manifest GET and 304, so those two counts are plain
/// numbers incremented atomically and read by observable counters when a scrape asks: no attribute lookup and no
/// allocation per request. Measured under the exporter on the shared 2-core machine: a <c>Counter.Add</c> with one
/// attribute cost about 0.6 to 1.2 µs, this increment a few nanoseconds (ReadPath/README.md).</para>
/// </remarks>
public sealed class RepositoryMetrics
{
    public const string MeterName = "LivePatch.Server";

    /// <summary>The <c>livepatch.document.kind</c> attribute.</summary>
    public const string KindAttribute = "livepatch.document.kind";

    /// <summary>The <c>livepatch.outcome</c> attribute: <c>ok</c>, or the stable problem code of a refusal.</summary>
    public const string OutcomeAttribute = "livepatch.outcome";

    /// <summary>The outcome of a publish or report that was accepted.</summary>
    public const string Accepted = "ok";

    // Signing one document takes about a millisecond (RSA-2048/ECDSA); a slow disk or a large key shows in the upper buckets.
    private static readonly double[] SigningBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private static readonly KeyValuePair<string, object?>[] KindTags =
        [.. Enum.GetValues<DocumentKind>().Select(kind => new KeyValuePair<string, object?>(KindAttribute, NameOf(kind)))];

    private readonly long[] _served = new long[KindTags.Length];
    private readonly long[] _notModified = new long[KindTags.Length];
    private readonly Counter<long> _publishes;
    private readonly Histogram<double> _signing;
    private readonly Counter<long> _reports;
    private readonly Counter<long> _authFailures;
    private readonly Lazy<ISignedDocumentGauges?> _documents;

    /// <param name="meters">Where the meter comes from (the host's, so that it is disposed with it).</param>
    /// <param name="services">Where the gauges find <see cref="ISignedDocumentGauges"/> at the first scrape: the repository
    /// mode has it; the mirror mode signs nothing and reports none. Looked up late because the documents' services take
    /// this class (they time their signing).</param>
    public RepositoryMetrics(IMeterFactory meters, IServiceProvider services)
    {
        _documents = new(services.GetService<ISignedDocumentGauges>);
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter("livepatch.documents.served", () => Counts(_served), "{response}",
            "Reads answered with the document's bytes (GET, HEAD), by document kind.");
        meter.CreateObservableCounter("livepatch.documents.not_modified", () => Counts(_notModified), "{response}",
            "Reads answered 304 Not Modified (the client's ETag is current), by document kind.");
        _publishes = meter.CreateCounter<long>("livepatch.publishes", "{publish}",
            "Module uploads (POST /v1/patches) by outcome: ok, or the problem code that refused it.");
        _signing = meter.CreateHistogram("livepatch.signing.duration", "s", "Time to sign one manifest, coverage bin or index.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SigningBuckets });
        _reports = meter.CreateCounter<long>("livepatch.reports.received", "{report}", "Host reports received, by outcome.");
        _authFailures = meter.CreateCounter<long>("livepatch.auth.failures", "{failure}",
            "Refused authentications and authorizations, by scheme and reason (invalid-key, missing-key, not-bearer, forbidden).");
        meter.CreateObservableGauge("livepatch.resign.backlog", () => _documents.Value?.ResignBacklog() ?? [], "{document}",
            "Signed documents the re-signer has to sign: due before expiry, pending after a write, or missing; by document kind.");
        meter.CreateObservableGauge("livepatch.documents.nearest_expiry", () => _documents.Value?.NearestExpiry() ?? [], "s",
            "Seconds from now until the served document of this kind that expires first does (negative: expired).");
    }

    /// <summary>A read answered with the document (<paramref name="notModified"/> false) or with 304.</summary>
    public void DocumentServed(DocumentKind kind, bool notModified) =>
        Interlocked.Increment(ref (notModified ? _notModified : _served)[(int)kind]);

    /// <summary>A publish: <see cref="Accepted"/>, or the problem code that refused it.</summary>
    public void Published(string outcome) => _publishes.Add(1, new KeyValuePair<string, object?>(OutcomeAttribute, outcome));

    /// <summary>A host report (<c>POST /v1/reports</c>): <see cref="Accepted"/>, or the problem code that refused it.</summary>
    public void ReportReceived(string outcome) => _reports.Add(1, new KeyValuePair<string, object?>(OutcomeAttribute, outcome));

    /// <summary>How long one document took to sign.</summary>
    public void Signed(DocumentKind kind, TimeSpan elapsed) => _signing.Record(elapsed.TotalSeconds, KindTags[(int)kind]);

    /// <summary>An authentication or authorization the server refused.</summary>
    public void AuthenticationFailed(string scheme, string reason) => _authFailures.Add(1,
        new KeyValuePair<string, object?>("livepatch.auth.scheme", scheme), new KeyValuePair<string, object?>("livepatch.auth.reason", reason));

    /// <summary>The attribute value of a kind: <c>manifest</c>, <c>coverage-bin</c>, <c>index</c>, <c>blob</c>.</summary>
    public static string NameOf(DocumentKind kind) => kind switch
    {
        DocumentKind.CoverageBin => "coverage-bin",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static Measurement<long>[] Counts(long[] counts) =>
        [.. counts.Select((count, kind) => new Measurement<long>(Interlocked.Read(ref counts[kind]), KindTags[kind]))];

    /// <summary>A measurement for one document kind (the gauges' callbacks).</summary>
    public static Measurement<T> Of<T>(DocumentKind kind, T value) where T : struct => new(value, KindTags[(int)kind]);
}

/// <summary>What the observable gauges read when a scrape asks: the re-sign backlog and the nearest expiry, per kind.</summary>
public interface ISignedDocumentGauges
{
    IEnumerable<Measurement<long>> ResignBacklog();

    IEnumerable<Measurement<double>> NearestExpiry();
}
