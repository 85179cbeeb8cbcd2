using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;

namespace LivePatch.Server.Ui;

/// <summary>Failed dashboard logins per client address: past <see cref="FailuresPerWindow"/> in a <see cref="Window"/>,
/// further attempts from that address are refused without looking at the key.</summary>
/// <remarks>
/// A key has 256 random bits, so guessing is hopeless anyway; the throttle keeps a script from turning the login into
/// a flood of key lookups and log lines. IPv6 clients are counted per /64 (one host usually holds a whole /64). The
/// server does not read X-Forwarded-For: behind a reverse proxy every client shares the proxy's address and budget.
/// Idle partitions are dropped by the limiter, so the addresses kept are those seen within the window.
/// </remarks>
public sealed class LoginThrottle : IDisposable
{
    public const int FailuresPerWindow = 10;

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<IPAddress?> _failures = PartitionedRateLimiter.Create<IPAddress?, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(PartitionOf(address), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = FailuresPerWindow,
            Window = Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Whether <paramref name="address"/> has failed too often lately to try again now.</summary>
    public bool IsBlocked(IPAddress? address) => _failures.GetStatistics(address)?.CurrentAvailablePermits == 0;

    /// <summary>Counts a failed login of <paramref name="address"/>.</summary>
    public void RecordFailure(IPAddress? address)
    {
        using var _ = _failures.AttemptAcquire(address);
    }

    public void Dispose() => _failures.Dispose();

    private static string PartitionOf(IPAddress? address)
    {
        if (address is null)
        {
            return "none"; // no socket address (a test server): one shared budget
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
