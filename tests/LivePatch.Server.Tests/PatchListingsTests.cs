using System.Net;
using System.Text.Json;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>The paged listings: <c>GET /v1/patches</c> and <c>GET /v1/kernels</c>.</summary>
public sealed class PatchListingsTests : IDisposable
{
    private const string Module = "lp_sample.rsa2048-sha256.ko";
    private readonly RepositoryFactory _factory = new(new() { ["LivePatch:Channels:0"] = "candidate", ["LivePatch:Channels:1"] = "stable" });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Patches_SmallLimit_EachPatchOnceInIdOrder()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var published = await PublishEachAsync(client, BuildIds(5));

        var pages = await Listings.PagesAsync<PatchInfo>(client, "/v1/patches", "limit=2");

        Assert.Equal([2, 2, 1], pages.Select(p => p.Items.Count));
        Assert.Equal(published, pages.SelectMany(p => p.Items).Select(p => p.Id));
        Assert.Equal([published[1].ToString(), published[3].ToString(), null], pages.Select(p => p.Next));
    }

    [Fact]
    public async Task Kernels_SmallLimit_EachKernelOnceInBuildIdOrder()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var kernels = BuildIds(5).AsEnumerable().Reverse().ToList(); // published out of order: the listing sorts
        await PublishAsync(client, Module, kernels);

        var pages = await Listings.PagesAsync<KernelInfo>(client, "/v1/kernels", "limit=2");

        Assert.Equal([2, 2, 1], pages.Select(p => p.Items.Count));
        Assert.Equal(kernels.Order(StringComparer.Ordinal), pages.SelectMany(p => p.Items).Select(k => k.BuildId));
        Assert.Null(pages[^1].Next);
    }

    [Fact]
    public async Task Kernels_NoLimit_DefaultLimitThenTheRest()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var kernels = BuildIds(PageLimits.DefaultLimit + 1);
        await PublishAsync(client, Module, kernels);

        var first = (await client.GetFromJsonAsync<ListPage<KernelInfo>>("/v1/kernels"))!;
        var rest = (await client.GetFromJsonAsync<ListPage<KernelInfo>>($"/v1/kernels?after={first.Next}"))!;

        Assert.Equal(PageLimits.DefaultLimit, first.Items.Count);
        Assert.Equal(kernels[PageLimits.DefaultLimit - 1], first.Next);
        Assert.Equal(kernels[^1], Assert.Single(rest.Items).BuildId);
        Assert.Null(rest.Next);
    }

    [Theory]
    [InlineData("/v1/patches?limit=0")]
    [InlineData("/v1/patches?limit=1001")]
    [InlineData("/v1/patches?limit=abc")]
    [InlineData("/v1/patches?limit=-1")]
    [InlineData("/v1/patches?limit=")]
    [InlineData("/v1/patches?limit=%2B5")]
    [InlineData("/v1/patches?limit=5&limit=6")]
    [InlineData("/v1/patches?limit=99999999999")]
    [InlineData("/v1/patches?after=abc")]
    [InlineData("/v1/patches?after=-1")]
    [InlineData("/v1/kernels?limit=0")]
    [InlineData("/v1/kernels?limit=1001")]
    [InlineData("/v1/kernels?limit=ten")]
    [InlineData("/v1/kernels?after=12")]
    [InlineData("/v1/kernels?after=not-a-build-id-at-all")]
    public async Task Listing_LimitOrCursorNotTaken_PageInvalid(string url)
    {
        using var client = _factory.CreateClient(apiKey: null);

        await PublishTests.AssertProblemAsync(await client.GetAsync(url), HttpStatusCode.BadRequest, "page-invalid");
    }

    [Fact]
    public async Task Listing_LimitAtTheMaximum_Taken()
    {
        using var client = _factory.CreateClient(apiKey: null);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/patches?limit={PageLimits.MaxLimit}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/kernels?limit={PageLimits.MaxLimit}")).StatusCode);
    }

    [Fact]
    public async Task Listing_CursorPastTheEnd_EmptyPageWithNextNull()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var published = await PublishEachAsync(client, BuildIds(2));

        var patches = await client.GetStringAsync($"/v1/patches?after={published[^1]}");
        var kernels = await client.GetStringAsync($"/v1/kernels?after={new string('f', 40)}");

        // "next": null is written, not left out: a client can tell the last page from an answer that is no page.
        Assert.Equal("""{"items":[],"next":null}""", patches);
        Assert.Equal("""{"items":[],"next":null}""", kernels);
    }

    [Fact]
    public async Task Patches_ChannelFilter_PagesHoldOnlyThatChannel()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var published = await PublishEachAsync(client, BuildIds(5));
        foreach (var id in new[] { published[0], published[2], published[4] })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/v1/patches/{id}/promote", new PromoteRequest("stable"))).StatusCode);
        }

        var pages = await Listings.PagesAsync<PatchInfo>(client, "/v1/patches", "channel=stable&limit=1");

        Assert.Equal([published[0], published[2], published[4]], pages.SelectMany(p => p.Items).Select(p => p.Id));
        Assert.All(pages, p => Assert.True(p.Items.Count <= 1));
    }

    [Fact]
    public async Task Patches_BuildIdFilter_PagesOfThatKernelInIdOrder()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        await PublishAsync(client, Module, [Fixtures.OtherBuildId]);
        var ofKernel = new List<int>();
        foreach (var module in new[] { Module, "lp_sample.ecdsa-p384-sha384.ko", "lp_sample.rsa2048-sha256-skid.ko" })
        {
            ofKernel.Add((await PublishAsync(client, module, [Fixtures.BuildId])).Id);
        }

        await client.PostAsJsonAsync($"/v1/patches/{ofKernel[1]}/promote", new PromoteRequest("stable"));

        var pages = await Listings.PagesAsync<PatchInfo>(client, "/v1/patches", $"buildId={Fixtures.BuildId.ToUpperInvariant()}&limit=1");
        var stable = await Listings.PatchesAsync(client, $"buildId={Fixtures.BuildId}&channel=stable&limit=1");

        Assert.Equal(ofKernel, pages.SelectMany(p => p.Items).Select(p => p.Id));
        Assert.Equal([1, 1, 1], pages.Select(p => p.Items.Count));
        Assert.Equal(ofKernel[1], Assert.Single(stable).Id);
    }

    [Fact]
    public async Task Patches_BulkPatches_PageEndsAtTheBuildIdBound()
    {
        _factory.Services.GetRequiredService<PatchListings>().BuildIdsReadPerPage = 10; // as MaxBuildIdsReadPerPage, in fewer kernels
        using var client = _factory.CreateClient(_factory.AdminKey);
        var bulk = await PublishAsync(client, Module, BuildIds(6));
        var second = await PublishAsync(client, Module, BuildIds(4, "d"));
        var third = await PublishAsync(client, Module, BuildIds(12, "e"));
        var fourth = await PublishAsync(client, Module, [Fixtures.BuildId]);

        var pages = await Listings.PagesAsync<PatchInfo>(client, "/v1/patches", $"limit={PageLimits.MaxLimit}");

        // Two patches reach the bound between them: the third waits for the next page, however large the limit; a patch
        // alone above the bound still makes a page of its own.
        Assert.Equal([[bulk.Id, second.Id], [third.Id], [fourth.Id]], pages.Select(p => p.Items.Select(i => i.Id).ToArray()));
    }

    [Fact]
    public async Task PatchPageQuery_ReadsThePrimaryKeyInOrder_NothingSortedOrFiltered()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        await PublishEachAsync(client, BuildIds(3)); // LiteDB plans a query of a collection that exists
        var listings = _factory.Services.GetRequiredService<PatchListings>();

        var plan = listings.PatchesAfterPlan(7);
        Assert.Equal("_id", plan["index"]["name"].AsString);
        Assert.StartsWith("INDEX SCAN(_id ", plan["index"]["mode"].AsString); // a range: a seek to the cursor, then onwards
        Assert.False(plan.ContainsKey("orderBy"), plan.ToString()); // in index order: no sort of everything after the cursor
        Assert.False(plan.ContainsKey("filters"), plan.ToString()); // the cursor is the index range, not a filter over a scan

        Assert.Equal("INDEX SCAN(_id > 7)", listings.PatchesAfterPlan(7)["index"]["mode"].AsString);
    }

    [Fact]
    public async Task Patches_AnonymousPage_HidesPublisherKeyName()
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);
        await PublishAsync(admin, Module, [Fixtures.BuildId]);
        using var anonymous = _factory.CreateClient(apiKey: null);

        var page = JsonDocument.Parse(await anonymous.GetStringAsync("/v1/patches")).RootElement;

        Assert.Equal(1, page.GetProperty("items").GetArrayLength());
        Assert.False(page.GetProperty("items")[0].TryGetProperty("publisher", out _));
        Assert.Equal("bootstrap-admin", Assert.Single(await Listings.PatchesAsync(admin)).Publisher);
    }

    private static List<string> BuildIds(int count, string fill = "c") =>
        [.. Enumerable.Range(0, count).Select(i => $"{i:x8}{string.Concat(Enumerable.Repeat(fill, 32))}")];

    /// <summary>One patch per kernel (the same module may be published once for each); returns their ids in order.</summary>
    private static async Task<List<int>> PublishEachAsync(HttpClient client, IEnumerable<string> buildIds)
    {
        var ids = new List<int>();
        foreach (var buildId in buildIds)
        {
            ids.Add((await PublishAsync(client, Module, [buildId])).Id);
        }

        return ids;
    }

    private static async Task<PatchInfo> PublishAsync(HttpClient client, string module, IReadOnlyList<string> buildIds)
    {
        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(module, [.. buildIds.Select(id => ("buildId", id))]));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
    }
}
