using LivePatch.Core;
using LivePatch.Core.Repository;
using LivePatch.Testing;

namespace LivePatch.Client.Tests;

public sealed class RepositoryListingTests
{
    [Fact]
    public async Task AllPagesAsync_UntilNextIsNull_RecordsInOrderShortPagesIncluded()
    {
        var pages = new Dictionary<string, ListPage<int>>
        {
            [""] = new() { Items = [1, 2], Next = "2" },
            ["2"] = new() { Items = [], Next = "5" }, // stopped early by the server's bounds: not the end
            ["5"] = new() { Items = [6], Next = null },
        };
        var asked = new List<string?>();

        var all = await RepositoryListing.AllPagesAsync((after, _) =>
        {
            asked.Add(after);
            return Task.FromResult(pages[after ?? ""]);
        }, maxPages: 10, CancellationToken.None);

        Assert.Equal([1, 2, 6], all);
        Assert.Equal([null, "2", "5"], asked);
    }

    [Fact]
    public async Task AllPagesAsync_ListingThatNeverEnds_RefusedAtThePageCap()
    {
        var calls = 0;

        var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => RepositoryListing.AllPagesAsync(
            (_, _) => Task.FromResult(new ListPage<int> { Items = [calls], Next = (++calls).ToString() }), maxPages: 3, CancellationToken.None));

        Assert.Equal(RepositoryListing.ListingEndless, error.Error);
        Assert.Equal(3, calls);
        Assert.Contains("did not end within 3 pages (3 records so far)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllPagesAsync_SameCursorSentBack_RefusedAtOnce()
    {
        var calls = 0;

        var error = await Assert.ThrowsAsync<LivePatchFormatException>(() => RepositoryListing.AllPagesAsync(
            (_, _) => Task.FromResult(new ListPage<int> { Items = [++calls], Next = "7" }), RepositoryListing.MaxPages, CancellationToken.None));

        Assert.Equal(RepositoryListing.ListingEndless, error.Error);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task AllKernelsAsync_OverHttp_AsksForTheLargestPagesAndFollowsNext()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Kernels(next: Canned.BuildId)).Reply(200, Canned.Page(null, Canned.Kernel(Canned.OtherBuildId)));
        using var client = RepositoryClient.Create(new RepositoryClientOptions { Server = server.Url, RetryDelay = TimeSpan.FromMilliseconds(10) });

        var kernels = await client.Api.AllKernelsAsync();

        Assert.Equal([Canned.BuildId, Canned.OtherBuildId], kernels.Select(k => k.BuildId));
        Assert.Equal([$"?limit={PageLimits.MaxLimit}", $"?after={Canned.BuildId}&limit={PageLimits.MaxLimit}"], server.Requests.Select(r => r.Query));
    }
}
