using System.Net;
using System.Net.Http.Json;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>Writes that queue while the writer lock is held run as one group, in one transaction: every request is answered
/// after the commit that stored it, versions stay strictly increasing, and one failing write fails only itself.</summary>
public sealed class GroupCommitTests
{
    private const int Queued = 10;

    [Fact]
    public async Task Publish_ManyQueuedBehindAWrite_RunAsOneGroupAndEveryOneIsServed()
    {
        using var factory = new RepositoryFactory();
        using var client = factory.CreateClient(factory.AdminKey);
        var writer = factory.Services.GetRequiredService<ManifestWriter>();
        var groups = new List<int>();
        var versions = new List<long>();
        writer.GroupStarting = groups.Add;
        writer.VersionAllocated = versions.Add;
        var kernels = WriterBatchingTests.BuildIds(Queued);

        var published = await WhileWriterHeldAsync(factory, client, () => kernels.Select(kernel => PublishAsync(client, kernel)).ToList());

        Assert.Contains(Queued, groups); // the ten that queued behind the first write ran together
        Assert.All(published, response => Assert.Equal(HttpStatusCode.Created, response.StatusCode));
        foreach (var kernel in kernels)
        {
            Assert.Single((await PublishTests.VerifiedManifestAsync(client, "stable", kernel, factory)).Patches);
            Assert.NotNull((await CoverageTests.VerifiedBinAsync(client, "stable", kernel, factory)).FindOrNull(kernel));
        }

        Assert.Equal(Enumerable.Range(0, versions.Count).Select(i => versions[0] + i), versions);
    }

    [Fact]
    public async Task Write_OneOfAGroupThrows_OnlyThatOneFailsAndTheOthersAreStored()
    {
        using var factory = new RepositoryFactory();
        using var client = factory.CreateClient(factory.AdminKey);
        var (kernels, published, failing, groups) = await ThreeAndAFailingWriteAsync(factory, client);

        await Assert.ThrowsAsync<IOException>(() => failing);
        Assert.Contains(4, groups); // the four ran as one group, rolled back, then each on its own
        Assert.All(published.Take(3), response => Assert.Equal(HttpStatusCode.Created, response.StatusCode));
        foreach (var kernel in kernels)
        {
            var manifest = await PublishTests.VerifiedManifestAsync(client, "stable", kernel, factory);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/blobs/sha256/{Assert.Single(manifest.Patches).Sha256}")).StatusCode);
        }
    }

    [Fact]
    public async Task Publish_SingleKernel_ItsManifestBinAndIndexShareOneCommit()
    {
        using var factory = new RepositoryFactory();
        using var client = factory.CreateClient(factory.AdminKey);
        var db = factory.Services.GetRequiredService<Storage.RepositoryDatabase>();
        var kernels = WriterBatchingTests.BuildIds(2);
        Assert.Equal(HttpStatusCode.Created, (await PublishAsync(client, kernels[0])).StatusCode); // the start-up's work is done
        var flushes = db.LogFlushes;

        Assert.Equal(HttpStatusCode.Created, (await PublishAsync(client, kernels[1])).StatusCode);

        Assert.Equal(flushes + 1, db.LogFlushes); // one commit: the patch, its audit entry, manifest, bin and the index
        var bin = await client.GetByteArrayAsync($"/v1/coverage/stable/{kernels[1][..2]}");
        Assert.NotNull((await CoverageTests.VerifiedBinAsync(client, "stable", kernels[1], factory)).FindOrNull(kernels[1]));
        var index = new LivePatch.Core.Manifests.RepositoryIndexVerifier(TestKeys.Policy, factory.Time).Verify(await client.GetByteArrayAsync("/v1/index"), out _);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bin)),
            index!.Bins.Single(b => b.Channel == "stable" && b.Prefix == kernels[1][..2]).Sha256);
    }

    [Fact]
    public async Task Publish_ItsBinCannotBeSigned_NothingStored()
    {
        using var factory = new RepositoryFactory();
        using var client = factory.CreateClient(factory.AdminKey);
        var writer = factory.Services.GetRequiredService<ManifestWriter>();
        var kernel = WriterBatchingTests.BuildIds(1)[0];
        writer.BetweenBatches = () =>
        {
            writer.BetweenBatches = null;
            throw new IOException("the disk failed while signing the bin");
        };

        Assert.Equal(HttpStatusCode.InternalServerError, (await PublishAsync(client, kernel)).StatusCode);

        // The bin is signed in the publish's own transaction: its failure rolls the publish back, rather than leaving a
        // stored patch whose bin a mirror's hosts would take as "not covered" until the re-signer's next pass.
        await CoverageTests.AssertNotCoveredAsync(client, "stable", kernel, factory);
        Assert.Empty((await client.GetFromJsonAsync<ListPage<PatchInfo>>("/v1/patches"))!.Items);
        Assert.Equal(HttpStatusCode.Created, (await PublishAsync(client, kernel)).StatusCode);
        Assert.NotNull((await CoverageTests.VerifiedBinAsync(client, "stable", kernel, factory)).FindOrNull(kernel));
    }

    [Fact]
    public async Task Audit_GroupRolledBackAndRunAgain_EachWriteRecordedOnceAndTheFullTrailStaysBounded()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:Audit:MaxEntries"] = "100" });
        using var client = factory.CreateClient(factory.AdminKey);
        for (var i = 0; i < 100; i++) // a full trail: from here on every record deletes the oldest
        {
            await client.PostAsJsonAsync("/v1/api-keys", new { name = "no spaces allowed", role = "publisher" });
        }

        var (kernels, published, failing, groups) = await ThreeAndAFailingWriteAsync(factory, client);

        await Assert.ThrowsAsync<IOException>(() => failing);
        Assert.Contains(4, groups); // the three publishes stored their records, rolled back with the failing write, then again
        var ids = new List<int>();
        foreach (var response in published.Take(kernels.Count))
        {
            ids.Add((await response.Content.ReadFromJsonAsync<PatchInfo>())!.Id);
        }

        var trail = (await client.GetFromJsonAsync("/v1/audit?limit=1000", RepositoryJsonContext.Default.ListPageAuditEntry))!.Items;
        // Bounded, and only the newest: the ids the rollback used are not used again, so the trail may keep a few fewer.
        Assert.InRange(trail.Count, 100 - kernels.Count, 100);
        Assert.All(trail, e => Assert.True(e.Id > trail[0].Id - 100, $"event {e.Id} is older than the newest 100 ids"));
        var publishes = trail.Where(e => e.Action == "publish").ToList();
        Assert.Equal(4, publishes.Count); // the first write's and the three, each once
        Assert.Subset(publishes.Select(e => e.PatchId!.Value).ToHashSet(), ids.ToHashSet());
        Assert.All(publishes, e => Assert.Equal("ok", e.Outcome));
    }

    [Fact]
    public async Task Audit_WriteFailsAfterItsCommit_ItsRecordIsStoredWithTheChange()
    {
        using var factory = new RepositoryFactory();
        using var client = factory.CreateClient(factory.AdminKey);
        var writer = factory.Services.GetRequiredService<ManifestWriter>();
        var db = factory.Services.GetRequiredService<Storage.RepositoryDatabase>();
        var id = (await (await PublishAsync(client, WriterBatchingTests.BuildIds(1)[0])).Content.ReadFromJsonAsync<PatchInfo>())!.Id;
        var audited = factory.Services.GetRequiredService<Audit.AuditTrail>().ForWrite<PatchInfo>(outcome =>
            new Audit.AuditEvent(Audit.AuditAction.Revoke, Audit.AuditActor.Scheduler, outcome.Problem?.Code ?? Audit.AuditEvent.Ok) { PatchId = id });

        // The revocation is stored, then the work after its commit fails (a file that could not be deleted, say): the request
        // fails, but what was stored has its audit record, because both are in one transaction.
        var failed = Assert.Throws<IOException>(() => writer.Write(batches =>
        {
            var doc = db.Patches.FindById(id);
            (doc.RevokedMs, doc.RevokedReason) = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "broken");
            writer.Commit(() => db.UpdatePatch(doc), doc.BuildIds, batches);
            batches.AfterCommit(() => throw new IOException("after the commit"));
            return new Outcome<PatchInfo>(factory.Services.GetRequiredService<PatchService>().ToInfo(doc), null);
        }, audited));

        Assert.Equal("after the commit", failed.Message);
        Assert.NotNull((await client.GetFromJsonAsync<PatchInfo>($"/v1/patches/{id}"))!.Revoked);
        var trail = (await client.GetFromJsonAsync("/v1/audit?action=revoke", RepositoryJsonContext.Default.ListPageAuditEntry))!.Items;
        Assert.Equal((id, "ok", "scheduler"), (Assert.Single(trail).PatchId, trail[0].Outcome, trail[0].KeyName));
    }

    /// <summary>Holds the writer lock inside a first write (paused in its bins' batch) until the writes <paramref name="start"/>
    /// makes have all queued, then lets everything run; returns their answers.</summary>
    private static async Task<HttpResponseMessage[]> WhileWriterHeldAsync(RepositoryFactory factory, HttpClient client,
        Func<List<Task<HttpResponseMessage>>> start)
    {
        var writer = factory.Services.GetRequiredService<ManifestWriter>();
        using var paused = new ManualResetEventSlim();
        using var resume = new ManualResetEventSlim();
        writer.BetweenBatches = () =>
        {
            writer.BetweenBatches = null;
            paused.Set();
            resume.Wait(TimeSpan.FromSeconds(30));
        };
        var first = PublishAsync(client, WriterBatchingTests.BuildIds(1)[0]);
        Assert.True(paused.Wait(TimeSpan.FromSeconds(30)), "the first write never reached its bins");
        List<Task<HttpResponseMessage>> queued;
        try
        {
            queued = start();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (writer.QueuedWrites < queued.Count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.Equal(queued.Count, writer.QueuedWrites);
        }
        finally
        {
            resume.Set();
        }

        Assert.Equal(HttpStatusCode.Created, (await first).StatusCode);
        return await Task.WhenAll(queued);
    }

    /// <summary>Three publishes queued behind a held write, then a write that throws inside the group's transaction: a
    /// group of four that rolls back and runs again write by write. Returns the kernels, the publishes' answers, the failing
    /// write and the size of every group.</summary>
    private static async Task<(List<string> Kernels, HttpResponseMessage[] Published, Task Failing, List<int> Groups)> ThreeAndAFailingWriteAsync(
        RepositoryFactory factory, HttpClient client)
    {
        var writer = factory.Services.GetRequiredService<ManifestWriter>();
        var groups = new List<int>();
        writer.GroupStarting = groups.Add;
        var kernels = WriterBatchingTests.BuildIds(3);
        var failing = Task.CompletedTask;
        var published = await WhileWriterHeldAsync(factory, client, () =>
        {
            var publishes = kernels.Select(kernel => PublishAsync(client, kernel)).ToList();
            // After them: the rollback then undoes what they stored (their audit records, and the oldest ones they dropped).
            Assert.True(SpinWait.SpinUntil(() => writer.QueuedWrites == kernels.Count, TimeSpan.FromSeconds(30)));
            failing = Task.Run(() => writer.Write<PatchInfo>(batches =>
            {
                writer.Commit(() => throw new IOException("the disk failed for this write only"), [], batches);
                return new RepositoryProblem(ProblemCodes.PatchNotFound, "never reached");
            }));
            return [.. publishes, failing.ContinueWith(_ => new HttpResponseMessage(HttpStatusCode.OK), TaskScheduler.Default)];
        });
        return (kernels, published, failing, groups);
    }

    private static Task<HttpResponseMessage> PublishAsync(HttpClient client, string buildId) =>
        client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", buildId)));
}
