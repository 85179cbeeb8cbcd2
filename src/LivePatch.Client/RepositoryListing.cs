using LivePatch.Core;
using LivePatch.Core.Repository;

namespace LivePatch.Client;

/// <summary>Whole listings read page by page (docs/api.md, "Listings"): each page's <c>next</c> is followed until it is null.</summary>
public static class RepositoryListing
{
    /// <summary>Pages one listing may take: 10,000 pages of up to 1,000 records are ten million records, more than a
    /// repository lists; a listing that goes on is a server that does not end it, and is refused rather than followed.</summary>
    public const int MaxPages = 10_000;

    /// <summary>A listing that did not end within <see cref="MaxPages"/> pages, or a page that sent back the cursor it was
    /// asked with: lpatch refuses the answer rather than loop.</summary>
    public static readonly ErrorCode ListingEndless = new("listing-endless", ErrorCategory.Refused);

    /// <summary>Every patch, optionally of one kernel and/or channel, in id order: pages of <see cref="PageLimits.MaxLimit"/>,
    /// the fewest requests.</summary>
    /// <exception cref="LivePatchFormatException"><see cref="ListingEndless"/>.</exception>
    public static Task<IReadOnlyList<PatchInfo>> AllPatchesAsync(this IRepositoryApi api, string? buildId = null, string? channel = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        return AllPagesAsync((after, token) => api.ListPatchesAsync(buildId, channel, after, PageLimits.MaxLimit, token), MaxPages, cancellationToken);
    }

    /// <summary>Every kernel with patches, in build ID order.</summary>
    /// <exception cref="LivePatchFormatException"><see cref="ListingEndless"/>.</exception>
    public static Task<IReadOnlyList<KernelInfo>> AllKernelsAsync(this IRepositoryApi api, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        return AllPagesAsync((after, token) => api.ListKernelsAsync(after, PageLimits.MaxLimit, token), MaxPages, cancellationToken);
    }

    /// <summary>Reads pages from the first (no cursor) until one has no <c>next</c>, and returns their records in order.</summary>
    /// <remarks>A short or empty page is not the end: the server may stop a page early at its own bounds.</remarks>
    internal static async Task<IReadOnlyList<T>> AllPagesAsync<T>(Func<string?, CancellationToken, Task<ListPage<T>>> readPage, int maxPages,
        CancellationToken cancellationToken)
    {
        var items = new List<T>();
        string? after = null;
        for (var pages = 0; pages < maxPages; pages++)
        {
            var page = await readPage(after, cancellationToken).ConfigureAwait(false);
            items.AddRange(page.Items);
            if (page.Next is null)
            {
                return items;
            }

            LivePatchFormatException.ThrowUnless(page.Next != after, ListingEndless,
                $"The repository answered the page after '{after}' with the same cursor: the listing would never end.");
            after = page.Next;
        }

        throw new LivePatchFormatException(ListingEndless,
            $"The repository's listing did not end within {maxPages} pages ({items.Count} records so far): refusing to read on.");
    }
}
