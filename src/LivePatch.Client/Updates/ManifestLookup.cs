using LivePatch.Client.Host;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Updates;

/// <summary>What steps 2 to 6 found across the configured repositories: a verified manifest, a verified "not covered", or
/// the failure that decides the run; and the repositories that were tried and failed before (or all of them).</summary>
internal sealed record LookupResult(VerifiedManifest? Manifest, NotCoveredRecord? NotCovered, UpdateFailure? Failure,
    IReadOnlyList<UpdateFailure> Attempts);

/// <summary>Steps 2 to 6, repository by repository: the first one whose manifest passes every check wins. On a manifest 404
/// the repository's coverage bin for the kernel's build ID prefix is fetched and checked the same way (steps 3 to 6 apply to
/// it): a bin that does not list the kernel is a verified "not covered"; one that lists it proves the 404 withholds a
/// manifest that exists, a refusal, and the next repository is tried (docs/manifests.md, "Coverage bins").</summary>
/// <remarks>A bin's version is persisted as soon as the bin is accepted, whatever it then says: a withheld manifest is
/// refused, but the bin was genuine, and the next repository must not get away with an older one.</remarks>
internal sealed class ManifestLookup(ClientOptions options, TrustPolicy policy, TimeProvider time, StateSession state,
    Func<Uri, RepositoryClient> connect)
{
    private readonly SignedDocumentCache _cache = new(options.CacheDirectory, options.MaxManifestBytes);
    private readonly ManifestAcceptance _manifests = new(policy, time);
    private readonly CoverageAcceptance _bins = new(policy, time);

    public async Task<LookupResult> FindAsync(HostKernel kernel, CancellationToken cancellation)
    {
        var request = new ManifestRequest(options.RepositoryId, options.Channel, kernel.BuildId.Hex);
        var fetcher = new SignedDocumentFetcher(options.MaxManifestBytes, options.RequestTimeout, _cache);
        var attempts = new List<UpdateFailure>();
        foreach (var url in options.Repositories)
        {
            using var repository = connect(new Uri(url));
            var answer = await AskAsync(repository, fetcher, request, kernel, cancellation);
            if (answer.Failure is null)
            {
                return answer with { Attempts = attempts };
            }

            attempts.Add(answer.Failure);
        }

        // A repository that served something that failed verification outranks a configuration refusal, which outranks
        // ones that were down.
        var worst = attempts.FirstOrDefault(a => a.Category == ErrorCategory.Refused) ?? attempts.FirstOrDefault(a => a.Category != ErrorCategory.Unreachable)
            ?? attempts.LastOrDefault() ?? new UpdateFailure(ClientErrorCodes.ConfigurationInvalid, "no repositories configured");
        return new LookupResult(null, null, worst, attempts);
    }

    /// <summary>One repository: its manifest, or on a 404 its coverage bin.</summary>
    private async Task<LookupResult> AskAsync(RepositoryClient repository, SignedDocumentFetcher fetcher, ManifestRequest request,
        HostKernel kernel, CancellationToken cancellation)
    {
        var manifest = DocumentAddress.Manifest(request.Channel, request.BuildId);
        var (verified, refused, absent) = await FetchAndAcceptAsync(repository, fetcher, manifest,
            fetched => _manifests.Accept(fetched, request, state.Current), cancellation);
        if (!absent)
        {
            return Answer(verified, null, refused);
        }

        // Step 2, on a 404: the coverage bin of the kernel's prefix; steps 3 to 6 apply to it.
        var address = DocumentAddress.CoverageBin(request.Channel, CoverageBin.PrefixOf(request.BuildId));
        var (bin, binRefused, binAbsent) = await FetchAndAcceptAsync(repository, fetcher, address,
            fetched => _bins.Accept(fetched, request, state.Current), cancellation);
        if (binAbsent)
        {
            return Answer(null, null, new UpdateFailure(ClientErrorCodes.CoverageNotFound,
                $"{repository.Server} has no {manifest} and no {address} to say whether this kernel is covered (404)."));
        }

        if (bin is null)
        {
            return Answer(null, null, binRefused);
        }

        RememberCoverage(bin.Bin);
        return Decide(bin, kernel, manifest);
    }

    /// <summary>Absent from the verified bin: not covered, whichever mirror said so. Listed: the 404 hides a manifest that exists.</summary>
    private LookupResult Decide(VerifiedCoverageBin verified, HostKernel kernel, DocumentAddress manifest)
    {
        var bin = verified.Bin;
        if (bin.FindOrNull(kernel.BuildId.Hex) is { } listed)
        {
            return Answer(null, null, UpdateFailure.Refused(ClientErrorCodes.ManifestWithheld,
                $"{verified.Repository} answered 404 for {manifest}, but repository {bin.Repository}'s signed coverage bin " +
                $"{bin.Channel}/{bin.Prefix} (version {bin.Version}) lists it at manifest version {listed.Version}: the manifest exists and is withheld."));
        }

        return Answer(null, new NotCoveredRecord(kernel.BuildId.Hex, kernel.Release, bin.Repository, bin.Channel, bin.Prefix, bin.Version,
            bin.Issued, time.GetUtcNow(), verified.Repository), null);
    }

    /// <summary>Step 2 (transport), then steps 3 to 6 (<paramref name="accept"/>). A kept copy that fails (damaged on disk, or
    /// stale) is dropped and the repository's current bytes asked for once, in full.</summary>
    private async Task<(T? Accepted, UpdateFailure? Failure, bool Absent)> FetchAndAcceptAsync<T>(RepositoryClient repository,
        SignedDocumentFetcher fetcher, DocumentAddress address, Func<FetchedDocument, (T?, UpdateFailure?)> accept,
        CancellationToken cancellation)
        where T : class
    {
        for (var useCache = true; ; useCache = false)
        {
            var fetch = await fetcher.FetchAsync(repository, address, useCache, cancellation);
            if (fetch.Document is not { } fetched)
            {
                return (null, fetch.Failure, fetch.Absent);
            }

            var (accepted, refused) = accept(fetched);
            if (refused is null)
            {
                if (!fetched.NotModified)
                {
                    _cache.Save(address, fetched.Signed, fetched.ETag);
                }

                return (accepted, null, false);
            }

            if (!fetched.NotModified || !useCache)
            {
                return (null, refused, false);
            }

            _cache.Delete(address);
        }
    }

    /// <summary>Step 6 for the bin, second half: its version (and the pinned repository id) written atomically before its
    /// answer is acted on, as <see cref="UpdateEngine"/> does for a manifest.</summary>
    private void RememberCoverage(CoverageBin bin)
    {
        var key = ClientState.CoverageKey(bin.Repository, bin.Channel, bin.Prefix);
        state.Update(s => s.CoverageVersions.TryGetValue(key, out var seen) && seen >= bin.Version && s.RepositoryId is not null
            ? s // the usual poll: the same bin as last time
            : s with
            {
                CoverageVersions = new Dictionary<string, ulong>(s.CoverageVersions) { [key] = Math.Max(bin.Version, s.CoverageVersions.GetValueOrDefault(key)) },
                RepositoryId = s.RepositoryId ?? bin.Repository,
            });
    }

    private static LookupResult Answer(VerifiedManifest? manifest, NotCoveredRecord? notCovered, UpdateFailure? failure) =>
        new(manifest, notCovered, failure, []);
}
