using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>Writes hold their thread for as long as they run or wait for the writer lock: none runs on a thread of the thread
/// pool, which must stay free to answer requests (a revoke during a bulk publish on a one-core server waited about a second
/// in the pool's queue when writes ran there).</summary>
public sealed class WriterThreadTests
{
    [Fact]
    public async Task EveryKindOfWrite_RunsOnAThreadOfItsOwn_NotOnThePool()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:Channels:0"] = "stable", ["LivePatch:Channels:1"] = "testing" });
        using var client = factory.CreateClient(factory.AdminKey);
        var writer = factory.Services.GetRequiredService<ManifestWriter>();
        var seen = new ConcurrentQueue<(string Where, bool Pool)>();
        writer.GroupStarting = _ => seen.Enqueue(("a write", Thread.CurrentThread.IsThreadPoolThread));
        writer.BetweenBatches = () => seen.Enqueue(("a later batch", Thread.CurrentThread.IsThreadPoolThread));

        var bulk = await WriterBatchingTests.PublishAsync(client, "lp_sample.rsa2048-sha256.ko", WriterBatchingTests.BuildIds(ManifestWriter.RenderBatchSize + 3));
        var single = await WriterBatchingTests.PublishAsync(client, "lp_sample.ecdsa-p384-sha384.ko", [Fixtures.BuildId]);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/v1/patches/{single.Id}/promote", new PromoteRequest("testing"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/v1/patches/{single.Id}/revoke", new RevokeRequest("breaks the host"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/v1/patches/{bulk.Id}")).StatusCode);

        Assert.Equal(5, seen.Count(s => s.Where == "a write")); // two publishes, a promotion, a revocation, a deletion
        Assert.Contains(seen, s => s.Where == "a later batch");
        Assert.All(seen, s => Assert.False(s.Pool, $"{s.Where} ran on a thread-pool thread"));
    }

    [Fact]
    public async Task ResignerPass_RunsOnAThreadOfItsOwn_NotOnThePool()
    {
        using var factory = new RepositoryFactory();
        using var client = factory.CreateClient(factory.AdminKey);
        await WriterBatchingTests.PublishAsync(client, "lp_sample.rsa2048-sha256.ko", [Fixtures.BuildId]);
        var writer = factory.Services.GetRequiredService<ManifestWriter>();
        var seen = new ConcurrentQueue<bool>();
        using var ran = new SemaphoreSlim(0);
        writer.BetweenBatches = () =>
        {
            seen.Enqueue(Thread.CurrentThread.IsThreadPoolThread);
            ran.Release();
        };

        // The timer's next pass finds every document past half its lifetime. The fake clock runs the timer's continuation on
        // the thread that advances it: a thread-pool thread here, as a real timer's would be.
        await Task.Run(() => factory.Time.Advance(TimeSpan.FromDays(4)));

        Assert.True(await ran.WaitAsync(TimeSpan.FromSeconds(30)), "the re-signer's timer never ran a pass");
        Assert.All(seen, pool => Assert.False(pool, "the re-signer's pass ran on a thread-pool thread"));
    }
}
