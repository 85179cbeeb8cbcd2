using LivePatch.Core.Mirrors;
using LivePatch.Core.Repository;
using LivePatch.Core.Trust;
using LivePatch.Server.Configuration;
using LivePatch.Server.Manifests;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Upstream;

/// <summary>Imports a vendor's content into this (site) repository from any <see cref="IMirrorSource"/>: the vendor repository
/// over HTTP (<c>LivePatch:Upstream:Url</c>), a directory, an unpacked bundle. Verifies the whole run, then writes
/// (<see cref="UpstreamReader"/>, <see cref="UpstreamModules"/>, then <see cref="UpstreamStore"/>); one run at a time.</summary>
public sealed class UpstreamImport(
    IOptions<UpstreamOptions> upstream,
    IOptions<RepositoryOptions> options,
    RepositoryDatabase db,
    BlobStore blobs,
    ManifestService manifests,
    ManifestWriter writer,
    PatchService patches,
    PublishValidator validator,
    IHttpClientFactory http,
    TimeProvider time,
    ILogger<UpstreamImport> logger)
{
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly Lazy<TrustPolicy> _trust = new(() => upstream.Value.TrustPolicy());

    /// <summary>The configured upstream URL as a source, or null when none is configured.</summary>
    public IMirrorSource? ConfiguredSourceOrNull() =>
        upstream.Value is { IsConfigured: true, Url: { } url }
            ? new HttpMirrorSource(http.CreateClient(HttpMirrorSource.HttpClientName), new Uri(url))
            : null;

    /// <summary>One run from the configured URL.</summary>
    public Task<Outcome<UpstreamSyncSummary>> SyncAsync(CancellationToken cancellation) =>
        ConfiguredSourceOrNull() is { } source
            ? ImportAsync(source, cancellation)
            : Task.FromResult<Outcome<UpstreamSyncSummary>>(new RepositoryProblem(ProblemCodes.UpstreamNotConfigured,
                "This repository has no upstream to import from: set LivePatch:Upstream:Url and :Roots."));

    /// <summary>One run from <paramref name="source"/>: everything verified, then stored; on a refusal nothing is written.</summary>
    public async Task<Outcome<UpstreamSyncSummary>> ImportAsync(IMirrorSource source, CancellationToken cancellation)
    {
        if (!upstream.Value.IsConfigured)
        {
            return new RepositoryProblem(ProblemCodes.UpstreamNotConfigured,
                "This repository has no upstream roots to verify an import with: set LivePatch:Upstream:Roots.");
        }

        if (!await _running.WaitAsync(0, cancellation))
        {
            return new RepositoryProblem(ProblemCodes.UpstreamBusy, "Another import is running; try again when it has finished.");
        }

        try
        {
            var outcome = await RunAsync(source, cancellation);
            if (outcome.Value is { } s)
            {
                logger.LogInformation("Upstream import from {Source}: repository {Repository} index version {Version}: {Imported} imported, {Updated} updated, "
                    + "{Revoked} revoked, {Skipped} skipped", source.Description, s.Repository, s.Version, s.Imported, s.Updated, s.Revoked, s.Skipped);
            }

            return outcome;
        }
        catch (UpstreamRefusal refusal)
        {
            return Refused(source, refusal.Problem);
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested
            && e is HttpRequestException or IOException or TaskCanceledException or Polly.ExecutionRejectedException)
        {
            return Refused(source, new(ProblemCodes.UpstreamUnreachable, $"Reading {source.Description} failed: {e.Message}"));
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<Outcome<UpstreamSyncSummary>> RunAsync(IMirrorSource source, CancellationToken cancellation)
    {
        var channels = upstream.Value.ChannelMap(options.Value.Channels);
        var reader = new UpstreamReader(source, _trust.Value, upstream.Value, channels, db, time);
        var (index, verified, bins) = await reader.ReadAsync(cancellation);
        var modules = await new UpstreamModules(source, validator, db, options.Value.MaxModuleBytes).ReadAsync(index.Repository, verified, cancellation);
        // Everything of the run verified: only now is anything written.
        var store = new UpstreamStore(db, blobs, manifests, writer, patches, time, logger);
        return await WriterThread.Run(() => store.Store(new UpstreamPlan(index, verified, modules, bins), source.Description));
    }

    private Outcome<UpstreamSyncSummary> Refused(IMirrorSource source, RepositoryProblem problem)
    {
        logger.LogWarning("Upstream import from {Source} refused [{Code}]: {Detail}", source.Description, problem.Code, LogText.Printable(problem.Detail));
        return problem;
    }
}
