using LivePatch.Core;
using LivePatch.Core.Repository;
using LivePatch.Server.Auth;
using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server;

/// <summary>One-time start work: key checks, crash leftovers, the bootstrap admin key, and where things are (logged once).</summary>
public sealed class RepositoryStartup(
    RepositoryKeys keys,
    BlobStore blobs,
    StoreMaintenance store,
    ManifestWriter writer,
    RepositoryDatabase db,
    ApiKeyService apiKeys,
    Audit.AuditTrail audit,
    IOptions<RepositoryOptions> options,
    ILogger<RepositoryStartup> logger) : IHostedService
{
    public const string AdminKeyFileName = "admin-api-key";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (blobs.SweepTemporaryFiles() is var swept and > 0)
        {
            logger.LogInformation("Removed {Count} temporary blob file(s) left by an interrupted publish", swept);
        }

        store.RemoveUnreferencedBlobs();
        store.RemoveDeadSignedSegments();
        store.BackfillModuleDigests();

        // Before the first request: what a crash left pending, every bin of every configured channel that is missing, and
        // the index. Documents merely due for re-signing are still valid for half their lifetime: the re-signer's first
        // pass, which starts with the host, renews them while requests are served.
        if (writer.CompletePending(startUp: true) is var completed and > 0)
        {
            logger.LogWarning("Rendered {Count} manifest(s) a change had left pending (a crash or failure between its batches)", completed);
        }

        var data = Path.GetFullPath(options.Value.DataDirectory);
        if (!apiKeys.HasAdmin())
        {
            var created = apiKeys.Create("bootstrap-admin", RepositoryRoles.Admin);
            audit.Record(new Audit.AuditEvent(Audit.AuditAction.ApiKeyCreate, Audit.AuditActor.Startup, Audit.AuditEvent.Ok)
            {
                Target = $"{created.Id} ({created.Name}, {created.Role})",
            });
            var path = Path.Combine(data, AdminKeyFileName);
            AtomicFile.Write(path, System.Text.Encoding.UTF8.GetBytes(created.Secret! + "\n"), AtomicFile.OwnerOnly);
            logger.LogWarning("Created the bootstrap admin API key in {Path} (mode 0600): use it to create publisher keys, then keep it safe", path);
        }

        // Every served document is in memory now (ManifestService, CoverageService): LiteDB's cache of the pages read for
        // them is dead weight.
        db.DropPageCache();

        logger.LogInformation("Repository '{Repository}' serving channels {Channels} from {Data}{Keys}", options.Value.RepositoryId,
            string.Join(", ", options.Value.Channels), data, keys.DevelopmentFolder is { } dev ? $"; development keys in {dev}" : "");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
