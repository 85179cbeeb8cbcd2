using LivePatch.Core;
using LivePatch.Core.Repository;

namespace LivePatch.Client.Reports;

/// <summary>The whole host listing, read page by page like the other listings (<see cref="RepositoryListing"/>).</summary>
public static class FleetListing
{
    /// <summary>Every reporting host matching the filters, in machine id order.</summary>
    /// <exception cref="LivePatchFormatException"><see cref="RepositoryListing.ListingEndless"/>.</exception>
    public static Task<IReadOnlyList<HostInfo>> AllHostsAsync(this IRepositoryApi api, string? kernel = null, string? channel = null, string? state = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        return RepositoryListing.AllPagesAsync((after, token) => api.ListHostsAsync(kernel, channel, state, after, PageLimits.MaxLimit, token),
            RepositoryListing.MaxPages, cancellationToken);
    }
}
