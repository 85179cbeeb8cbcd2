using LivePatch.Server.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LivePatch.Server.Health;

/// <summary>Ready when LiteDB answers a read of one small document.</summary>
public sealed class DatabaseHealthCheck(RepositoryDatabase db) : IHealthCheck
{
    private readonly BlockingProbe _probe = new(db.ProbeRead);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await _probe.RunAsync(cancellationToken);
        return HealthCheckResult.Healthy("The database answers a read.");
    }
}

/// <summary>Ready when the blob store takes a file: created, written, fsynced and deleted in its temp folder, as a publish
/// writes a module before renaming it into place.</summary>
/// <remarks>A full disk, a read-only remount or a lost volume shows here before a publish fails on it; the file has the temp
/// folder's name pattern, so a crash between create and delete leaves nothing the start-up sweep does not remove.</remarks>
public sealed class BlobStoreHealthCheck(BlobStore blobs) : IHealthCheck
{
    private readonly BlockingProbe _probe = new(blobs.ProbeWritable);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await _probe.RunAsync(cancellationToken);
            return HealthCheckResult.Healthy("The blob store takes a file (created, fsynced, deleted).");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The exception (with its path) is for the log; the body says what it means.
            return new HealthCheckResult(context.Registration.FailureStatus, "The blob store cannot be written: a publish would fail.", e);
        }
    }
}
