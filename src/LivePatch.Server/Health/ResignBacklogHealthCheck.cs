using LivePatch.Server.Configuration;
using LivePatch.Server.Manifests;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Health;

/// <summary>The signed documents (manifests, coverage bins, the index) the re-signer should have renewed and has not.</summary>
/// <remarks>
/// A document is due for re-signing when half its lifetime is left, and the re-signer looks every
/// <see cref="ResignService.PeriodFor"/>; one still not renewed two periods after it fell due was missed (signing fails,
/// the re-signer is stuck): Degraded, while hosts still accept it. An expired one is refused by every host
/// (<c>manifest-expired</c>): Unhealthy, so that a load balancer sends hosts elsewhere. Counted over the documents held in
/// memory (no I/O); <see cref="ReadinessReports"/> bounds how often.
/// </remarks>
public sealed class ResignBacklogHealthCheck(ManifestService manifests, CoverageService coverage, IndexService index,
    IOptions<RepositoryOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var lifetime = options.Value.ManifestLifetime;
        var overdueBefore = now + lifetime / 2 - 2 * ResignService.PeriodFor(lifetime);
        var expiries = manifests.Expiries()
            .Concat(coverage.All().Select(bin => bin.Document.Expires))
            .Concat(index.CurrentOrNull is { } current ? [current.Expires] : []);
        int expired = 0, overdue = 0;
        foreach (var expires in expiries)
        {
            expired += expires <= now ? 1 : 0;
            overdue += expires > now && expires < overdueBefore ? 1 : 0;
        }

        var result = (expired, overdue) switch
        {
            ( > 0, _) => new HealthCheckResult(HealthStatus.Unhealthy,
                $"{expired} signed document(s) expired and {overdue} more past their re-signing time: hosts refuse the expired ones."),
            (_, > 0) => new HealthCheckResult(HealthStatus.Degraded,
                $"{overdue} signed document(s) past their re-signing time and not renewed (the re-signer is failing or behind); none expired yet."),
            _ => new HealthCheckResult(HealthStatus.Healthy, "Every signed document is renewed in time."),
        };
        return Task.FromResult(result);
    }
}
