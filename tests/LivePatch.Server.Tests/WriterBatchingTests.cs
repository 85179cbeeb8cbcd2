using System.Net;
using System.Net.Http.Json;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>A bulk write signs its manifests in batches, one turn of the writer lock each: an emergency revoke never waits
/// for the rest of a bulk publish, and a failure between batches is completed by the re-signer's next pass.</summary>
public sealed class WriterBatchingTests
{
    private const int Kernels = (ManifestWriter.RenderBatchSize * 3) + 5;

    [Fact]
    public async Task Revoke_WhileBulkPublishBetweenBatches_CompletesAndBulkPublishFinishesAfter()
    {
        using var factory = new RepositoryFactory();
        using var client = factory.CreateClient(factory.AdminKey);
        var target = await PublishAsync(client, "lp_sample.rsa2048-sha256.ko", [Fixtures.BuildId]);
        var service = factory.Services.GetRequiredService<ManifestWriter>();
        using var paused = new ManualResetEventSlim();
        using var resume = new ManualResetEventSlim();
        service.BetweenBatches = () =>
        {
            service.BetweenBatches = null; // pause once, before the second batch
            paused.Set();
            resume.Wait(TimeSpan.FromSeconds(30));
        };
        var kernels = BuildIds(Kernels);
        var bulk = PublishAsync(client, "lp_sample.rsa2048-sha256-skid.ko", kernels);
        Assert.True(paused.Wait(TimeSpan.FromSeconds(30)), "the bulk publish never reached a second batch");

        // The bulk publish holds no lock between its batches: the revoke goes through now, not after it.
        var revoke = client.PostAsJsonAsync($"/v1/patches/{target.Id}/revoke", new RevokeRequest("breaks the host"));
        try
        {
            Assert.Same(revoke, await Task.WhenAny(revoke, Task.Delay(TimeSpan.FromSeconds(20))));
            Assert.Equal(HttpStatusCode.OK, (await revoke).StatusCode);
            Assert.False(bulk.IsCompleted, "the bulk publish finished while paused");
        }
        finally
        {
            resume.Set();
        }

        var published = await bulk;
        foreach (var kernel in new[] { kernels[0], kernels[^1] })
        {
            Assert.Equal(published.Sha256, Assert.Single((await PublishTests.VerifiedManifestAsync(client, "stable", kernel, factory)).Patches).Sha256);
        }

        Assert.Equal(target.Sha256, Assert.Single((await PublishTests.VerifiedManifestAsync(client, "stable", Fixtures.BuildId, factory)).Revoked).Sha256);
    }

    [Fact]
    public async Task BulkPublish_FailsBetweenBatches_PendingKernelsRenderedByTheNextPass()
    {
        using var factory = new RepositoryFactory();
        using var client = factory.CreateClient(factory.AdminKey);
        var service = factory.Services.GetRequiredService<ManifestWriter>();
        service.BetweenBatches = () =>
        {
            service.BetweenBatches = null;
            throw new IOException("the disk went away between two batches");
        };
        var kernels = BuildIds(Kernels);

        var failed = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", string.Join(',', kernels))));

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        await CoverageTests.AssertNotCoveredAsync(client, "stable", kernels[^1], factory); // committed, but its manifest not rendered yet

        Assert.Equal(Kernels - ManifestWriter.RenderBatchSize, service.CompletePending());

        Assert.Single((await PublishTests.VerifiedManifestAsync(client, "stable", kernels[^1], factory)).Patches);
        Assert.Equal(0, service.CompletePending());
    }

    [Fact]
    public async Task Start_PendingKernelsLeftByAnOlderServer_RenderedBeforeRequests()
    {
        // Servers before PendingWriteDocument kept one pending document per kernel; an upgrade must finish what they left.
        var data = Directory.CreateTempSubdirectory("lpatch-server-").FullName;
        using (var db = new Storage.RepositoryDatabase(data))
        {
            db.InTransaction(() =>
            {
                db.InsertPatch(new Storage.PatchDocument
                {
                    Name = "lp_sample", Level = 1, Sha256 = new string('a', 64), Size = 1000, Signer = "00:11", KernelRelease = "6.1.0-56-amd64",
                    BuildIds = [Fixtures.BuildId], Channels = new() { ["stable"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                });
                db.PendingRenders.Insert(new Storage.PendingRenderDocument { Id = Fixtures.BuildId });
                return 0;
            });
        }

        using var factory = new RepositoryFactory(dataDirectory: data);
        using var client = factory.CreateClient(apiKey: null);

        Assert.Single((await PublishTests.VerifiedManifestAsync(client, "stable", Fixtures.BuildId, factory)).Patches);
        Assert.NotNull((await CoverageTests.VerifiedBinAsync(client, "stable", Fixtures.BuildId, factory)).FindOrNull(Fixtures.BuildId));
        Assert.Equal(0, factory.Services.GetRequiredService<Storage.RepositoryDatabase>().PendingRenders.Count());
    }

    internal static async Task<PatchInfo> PublishAsync(HttpClient client, string fixture, IReadOnlyList<string> buildIds)
    {
        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(fixture, ("buildId", string.Join(',', buildIds))));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
    }

    internal static List<string> BuildIds(int count) =>
        Enumerable.Range(0, count).Select(i => $"{i:x8}{Guid.NewGuid():N}").Select(s => s[..40]).ToList();
}
