using System.Net;
using System.Net.Http.Json;
using LivePatch.Core.Manifests;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>The repository-wide version is handed out in one place and strictly increases under concurrent writes: a host's
/// rollback check compares versions across documents signed by different writes.</summary>
public sealed class VersionAllocationTests
{
    [Fact]
    public async Task ConcurrentPublishPromoteRevokeResign_VersionsStrictlyIncreaseAndNeverRepeat()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:Channels:0"] = "candidate", ["LivePatch:Channels:1"] = "stable" });
        using var client = factory.CreateClient(factory.AdminKey);
        var writer = factory.Services.GetRequiredService<ManifestWriter>();
        var allocated = new List<long>();
        writer.VersionAllocated = allocated.Add; // called under the writer lock
        var start = factory.Services.GetRequiredService<RepositoryDatabase>().CurrentVersion;

        var publishes = Enumerable.Range(0, 4).Select(_ => Task.Run(() => PublishAsync(client, "lp_sample.rsa2048-sha256.ko", RandomBuildIds(70))));
        var lifecycle = Task.Run(async () =>
        {
            var patch = await PublishAsync(client, "lp_sample.ecdsa-p384-sha384.ko", RandomBuildIds(40));
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/promote", new PromoteRequest("stable"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/revoke", new RevokeRequest("bad"))).StatusCode);
        });
        var resigns = Task.Run(() =>
        {
            for (var i = 0; i < 5; i++)
            {
                writer.Resign(factory.Services.GetRequiredService<RepositoryDatabase>().ManifestRecords().Select(m => m.BuildId).Distinct().ToList());
            }
        });
        var indexes = Task.Run(async () =>
        {
            var verifier = new RepositoryIndexVerifier(TestKeys.Policy, factory.Time);
            var seen = new List<ulong>();
            for (var i = 0; i < 30; i++)
            {
                seen.Add(verifier.Verify(await client.GetByteArrayAsync("/v1/index"), out _)!.Version);
            }

            return seen;
        });
        await Task.WhenAll([.. publishes, lifecycle, resigns, indexes]);

        Assert.True(allocated.Count > 500, $"only {allocated.Count} versions: the writes did not overlap enough to prove anything");
        Assert.Equal(Enumerable.Range(0, allocated.Count).Select(i => start + 1 + i), allocated); // one counter, +1 each, in lock order
        var seenIndexes = await indexes;
        Assert.Equal(seenIndexes.Order(), seenIndexes); // a reader never sees the index go back
        var db = factory.Services.GetRequiredService<RepositoryDatabase>();
        var stored = db.ManifestRecords().Select(m => m.Version).Concat(db.Bins.FindAll().Select(b => b.Version)).ToList();
        Assert.Equal(stored.Count, stored.Distinct().Count());
    }

    private static async Task<PatchInfo> PublishAsync(HttpClient client, string fixture, IReadOnlyList<string> buildIds)
    {
        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(fixture, ("buildId", string.Join(',', buildIds))));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
    }

    private static List<string> RandomBuildIds(int count) =>
        Enumerable.Range(0, count).Select(_ => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20))).ToList();
}
