using System.Net;
using LivePatch.Core;
using LivePatch.Core.Repository;

namespace LivePatch.Client.Updates;

/// <summary>The two signed documents a host fetches (docs/architecture.md, step 2).</summary>
public enum DocumentKind
{
    /// <summary><c>/v1/manifests/{channel}/{buildId}</c>.</summary>
    Manifest,

    /// <summary><c>/v1/coverage/{channel}/{prefix}</c>, asked for after a manifest 404.</summary>
    CoverageBin,
}

/// <summary>One signed document in one channel: a kernel's manifest (<c>Name</c> = build ID) or a coverage bin (<c>Name</c> =
/// the build ID's two-hex-digit prefix).</summary>
public sealed record DocumentAddress(DocumentKind Kind, string Channel, string Name)
{
    public static DocumentAddress Manifest(string channel, string buildId) => new(DocumentKind.Manifest, channel, buildId);

    public static DocumentAddress CoverageBin(string channel, string prefix) => new(DocumentKind.CoverageBin, channel, prefix);

    public override string ToString() => Kind == DocumentKind.CoverageBin ? $"coverage bin {Channel}/{Name}" : $"manifest {Channel}/{Name}";
}

/// <summary>Signed bytes as one repository served them (or as kept from an earlier run, on a 304): not verified yet.</summary>
/// <remarks><c>NotModified</c>: the repository answered 304 and <c>Signed</c> is the cached copy.</remarks>
public sealed record FetchedDocument(byte[] Signed, string? ETag, bool NotModified, string Repository);

/// <summary>What one fetch gave: the bytes, or that the repository has no such document (a 404, whatever its body says,
/// unless its problem code is a verdict on this host's settings), or why it failed.</summary>
public sealed record DocumentFetch(FetchedDocument? Document, UpdateFailure? Failure)
{
    public static readonly DocumentFetch NotFound = new(null, null);

    /// <summary>A 404 without a verdict on this host's settings: for a manifest, the coverage bin decides what it means.</summary>
    public bool Absent => Document is null && Failure is null;
}

/// <summary>Step 2, the transport, for manifests and coverage bins alike: fetch with the cached ETag, reading at most
/// <paramref name="maxDocumentBytes"/> (the host's <c>maxManifestBytes</c>, for both).</summary>
/// <remarks>What comes back is checked by <see cref="ManifestAcceptance"/> or <see cref="CoverageAcceptance"/>; this class
/// decides nothing about trust.</remarks>
public sealed class SignedDocumentFetcher(long maxDocumentBytes, TimeSpan timeout, SignedDocumentCache cache)
{
    /// <summary>The problem code the repository answers a manifest GET with when the channel covers no such kernel (docs/api.md).</summary>
    /// <remarks>The server's code, not the client's: it says the same as a static mirror's bare 404.</remarks>
    public static readonly string KernelNotCoveredProblem = Core.Repository.ProblemCodes.KernelNotCovered.Code;

    /// <summary>The 404 problem codes that say this host's settings are wrong rather than "no such document here": only the
    /// server's <c>unknown-channel</c> (a typo in <c>channel</c>, docs/client.md).</summary>
    /// <remarks>Every other 404 is treated alike, bare or with any problem body: the server's <c>kernel-not-covered</c>, a
    /// mirror-mode server's <c>not-found</c> for a bin missing from its tree, a store's or proxy's own error document. What
    /// the document's absence means is decided by the signed coverage bin, never by the words of an unsigned answer.</remarks>
    private static readonly HashSet<string> SettingsVerdictsAt404 = new(StringComparer.Ordinal)
    {
        Core.Repository.ProblemCodes.UnknownChannel.Code,
    };

    /// <summary>Fetches; <paramref name="useCache"/> false (after a kept copy failed verification) asks for the repository's current bytes in full.</summary>
    public async Task<DocumentFetch> FetchAsync(RepositoryClient repository, DocumentAddress address, bool useCache, CancellationToken cancellation)
    {
        var cached = useCache ? cache.LoadOrNull(address) : null;
        var server = repository.Server.ToString();
        try
        {
            using var response = await GetAsync(repository.Api, address, cached?.ETag, cancellation);
            if (response.StatusCode == HttpStatusCode.NotModified && cached is not null)
            {
                return Fetched(new FetchedDocument(cached.Signed, cached.ETag, NotModified: true, server)); // verified again: it may have expired
            }

            if (!response.IsSuccessStatusCode)
            {
                return await RefusalOfAsync(response, server, address, cancellation);
            }

            var body = await BoundedRead.ReadAsync(response, maxDocumentBytes, timeout, cancellation);
            return body is null
                ? Failed(UpdateFailure.Refused(TooLarge(address.Kind),
                    $"{server} sent a {address} larger than maxManifestBytes ({maxDocumentBytes})."))
                : Fetched(new FetchedDocument(body, response.Headers.ETag?.ToString(), NotModified: false, server));
        }
        catch (Exception e) when (e is RepositoryUnreachableException or RepositoryApiException or HttpRequestException or IOException
            || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            return Failed(Unreachable(server, e.Message));
        }
    }

    private static Task<HttpResponseMessage> GetAsync(IRepositoryApi api, DocumentAddress address, string? etag, CancellationToken cancellation) =>
        address.Kind == DocumentKind.CoverageBin
            ? api.GetCoverageBinAsync(address.Channel, address.Name, etag, cancellation)
            : api.GetManifestAsync(address.Channel, address.Name, etag, cancellation);

    private static ErrorCode TooLarge(DocumentKind kind) =>
        kind == DocumentKind.CoverageBin ? ClientErrorCodes.CoverageTooLarge : ClientErrorCodes.ManifestTooLarge;

    /// <summary>A 404 is <see cref="DocumentFetch.Absent"/> (for a manifest the bin is fetched next; a bin absent is
    /// <c>coverage-not-found</c>), unless its problem code is one of <see cref="SettingsVerdictsAt404"/>. That code, or any
    /// other 4xx with a problem code, says this host's configuration is wrong (a configuration error, exit 2, never
    /// "unreachable", which a timer treats as success); the rest is the repository being down.</summary>
    private async Task<DocumentFetch> RefusalOfAsync(HttpResponseMessage response, string server, DocumentAddress address,
        CancellationToken cancellation)
    {
        var status = (int)response.StatusCode;
        // 408 and 429 are the repository being busy (retried already), not a verdict on this host's settings.
        var verdict = status is >= 400 and < 500 and not (408 or 429);
        var problem = verdict ? await ProblemOrNullAsync(response, cancellation) : null;
        var code = problem?.Code is { Length: > 0 } c ? c : null;
        if (response.StatusCode == HttpStatusCode.NotFound && (code is null || !SettingsVerdictsAt404.Contains(code)))
        {
            return DocumentFetch.NotFound;
        }

        return code is not null
            ? Failed(new UpdateFailure(ClientErrorCodes.OfProblem(code, ErrorCategory.Configuration),
                $"{server} refused {address} ({status}): {problem!.Detail ?? problem.Title ?? code}"))
            : Failed(Unreachable(server, $"answered {status} {response.ReasonPhrase} for {address}"));
    }

    private async Task<ProblemInfo?> ProblemOrNullAsync(HttpResponseMessage response, CancellationToken cancellation)
    {
        // Time-outs of the HTTP pipeline end when the headers arrive; a repository that trickles the body is cut off here.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        return await RepositoryErrors.ReadProblemOrNullAsync(response, deadline.Token);
    }

    private static DocumentFetch Fetched(FetchedDocument document) => new(document, null);

    private static DocumentFetch Failed(UpdateFailure failure) => new(null, failure);

    private static UpdateFailure Unreachable(string server, string why) =>
        new(ClientErrorCodes.RepositoryUnreachable, $"{server}: {why}");
}
