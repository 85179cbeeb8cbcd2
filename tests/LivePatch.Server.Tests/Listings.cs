using LivePatch.Core.Repository;

namespace LivePatch.Server.Tests;

/// <summary>Reads the listings (<c>GET /v1/patches</c>, <c>GET /v1/kernels</c>) as clients do: page after page, following
/// <c>next</c> until it is null.</summary>
internal static class Listings
{
    /// <summary>More pages than any test's listing has: a server that never ends a listing fails the test instead of hanging it.</summary>
    private const int MaxPages = 1000;

    public static async Task<List<PatchInfo>> PatchesAsync(HttpClient client, string query = "") =>
        [.. (await PagesAsync<PatchInfo>(client, "/v1/patches", query)).SelectMany(p => p.Items)];

    public static async Task<List<KernelInfo>> KernelsAsync(HttpClient client, string query = "") =>
        [.. (await PagesAsync<KernelInfo>(client, "/v1/kernels", query)).SelectMany(p => p.Items)];

    /// <summary>Every page of a listing, in order; <paramref name="query"/> is the query string without <c>after</c>
    /// (<c>"limit=2&amp;channel=stable"</c>).</summary>
    public static async Task<List<ListPage<T>>> PagesAsync<T>(HttpClient client, string path, string query = "")
    {
        var pages = new List<ListPage<T>>();
        string? after = null;
        do
        {
            Assert.True(pages.Count < MaxPages, $"{path}?{query} did not end within {MaxPages} pages");
            var parameters = string.Join('&', new[] { query, after is null ? "" : $"after={after}" }.Where(p => p.Length > 0));
            var page = (await client.GetFromJsonAsync<ListPage<T>>(parameters.Length == 0 ? path : $"{path}?{parameters}"))!;
            pages.Add(page);
            after = page.Next;
        }
        while (after is not null);

        return pages;
    }
}
