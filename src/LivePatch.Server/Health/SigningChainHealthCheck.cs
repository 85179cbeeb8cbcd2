using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Server.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LivePatch.Server.Health;

/// <summary>The certificates every signature depends on: the manifest signing certificate, its intermediates and the roots
/// it is checked against. Degraded within <see cref="RenewalWarning"/> of the first to expire, Unhealthy once one has.</summary>
/// <remarks>Hosts refuse a signature whose chain has expired (<c>signer-expired</c>), so from then on every document the
/// server signs is refused: taking it out of a load balancer lets hosts fail over to a mirror instead. The dates are no
/// secret: the chain travels in every signed document.</remarks>
public sealed class SigningChainHealthCheck(RepositoryKeys keys, TimeProvider time) : IHealthCheck
{
    /// <summary>Time to issue a new signing certificate from the offline root and swap it in.</summary>
    public static readonly TimeSpan RenewalWarning = TimeSpan.FromDays(14);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var chain = Chain().ToList();
        var result = chain.Where(c => Utc(c.Certificate.NotBefore) > now).Select(c => (HealthCheckResult?)NotYetValid(c.Role, c.Certificate)).FirstOrDefault()
            ?? ByExpiry(chain.MinBy(c => c.Certificate.NotAfter), now);
        return Task.FromResult(result);
    }

    private static HealthCheckResult NotYetValid(string role, X509Certificate2 certificate) =>
        new(HealthStatus.Unhealthy, $"The {role} is not valid before {Day(certificate.NotBefore)}: hosts refuse what it signs.");

    /// <summary>The first certificate of the chain to expire decides.</summary>
    private static HealthCheckResult ByExpiry((string Role, X509Certificate2 Certificate) first, DateTimeOffset now)
    {
        var (role, certificate) = first;
        var left = Utc(certificate.NotAfter) - now;
        return left <= TimeSpan.Zero
            ? new(HealthStatus.Unhealthy, $"The {role} expired on {Day(certificate.NotAfter)}: hosts refuse everything signed now.")
            : left < RenewalWarning
                ? new(HealthStatus.Degraded, $"The {role} expires on {Day(certificate.NotAfter)}, in {Math.Ceiling(left.TotalDays):0} day(s): issue a new one and configure it.")
                : new(HealthStatus.Healthy, $"The signing chain is valid until {Day(certificate.NotAfter)}.");
    }

    private IEnumerable<(string Role, X509Certificate2 Certificate)> Chain() =>
        new[] { ("manifest signing certificate", keys.Signer.Certificate) }
            .Concat(keys.Signer.Intermediates.Select(c => ("intermediate certificate", c)))
            .Concat(keys.Roots.Select(c => ("root certificate", c)));

    private static DateTimeOffset Utc(DateTime certificateTime) => new(certificateTime.ToUniversalTime());

    private static string Day(DateTime certificateTime) => certificateTime.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
