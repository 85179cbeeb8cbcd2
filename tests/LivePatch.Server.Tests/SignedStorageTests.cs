using System.Net;
using LiteDB;
using LivePatch.Server.Manifests;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>Signed manifests and bins live in the <see cref="SignedStore"/>, not in LiteDB: a database of an older server is
/// migrated at start, a crash leaves only complete documents served, and replaced documents' space is given back.</summary>
public sealed class SignedStorageTests
{
    [Fact]
    public async Task Start_DatabaseWrittenWithSignedBytesInLiteDb_MovesThemOutAndServesTheSameBytes()
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        var (manifest, bin) = await PublishAndReadAsync(first);
        WriteTheOldWay(first.Services.GetRequiredService<RepositoryDatabase>()); // through the server's own LiteDB engine
        await first.DisposeAsync();
        Directory.Delete(Path.Combine(first.DataDirectory, "signed"), recursive: true);

        using (var restarted = new RepositoryFactory(dataDirectory: first.DataDirectory) { DeleteDataOnDispose = false })
        using (var client = restarted.CreateClient(apiKey: null))
        {
            Assert.Equal(manifest, await client.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}"));
            Assert.Equal(bin, await client.GetByteArrayAsync($"/v1/coverage/stable/{Fixtures.BuildId[..2]}"));
            var db = restarted.Services.GetRequiredService<RepositoryDatabase>();
            Assert.Equal(1 + 256, db.MigratedSignedDocuments); // the manifest and every bin of the channel
            Assert.Equal(1, db.MigratedManifestRecords); // then from its own document into a batch
            Assert.False(db.Database.CollectionExists("manifests"));
            Assert.All(db.Bins.FindAll(), b => Assert.Null(b.Signed));
        }

        using var again = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var third = again.CreateClient(apiKey: null);
        Assert.Equal(manifest, await third.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}"));
        Assert.Equal(0, again.Services.GetRequiredService<RepositoryDatabase>().MigratedSignedDocuments);
    }

    [Fact]
    public async Task Restart_CrashBetweenBatchesAndATornAppend_ServesOnlyCompleteDocuments()
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        var kernels = WriterBatchingTests.BuildIds(ManifestWriter.RenderBatchSize + 7);
        using (var client = first.CreateClient(first.AdminKey))
        {
            first.Services.GetRequiredService<ManifestWriter>().BetweenBatches = () => throw new IOException("the process died between two batches");
            var failed = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", string.Join(',', kernels))));
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        await first.DisposeAsync();
        // Bytes appended by a batch whose commit never happened: no record names them.
        var newest = Directory.GetFiles(Path.Combine(first.DataDirectory, "signed"), "*.seg").Order(StringComparer.Ordinal).Last();
        File.AppendAllText(newest, "half of a manifest");

        using var restarted = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var again = restarted.CreateClient(apiKey: null);

        foreach (var kernel in new[] { kernels[0], kernels[^1] })
        {
            Assert.Single((await PublishTests.VerifiedManifestAsync(again, "stable", kernel, restarted)).Patches);
            Assert.NotNull((await CoverageTests.VerifiedBinAsync(again, "stable", kernel, restarted)).FindOrNull(kernel));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Restart_SignedBytesDamagedOrLost_NeverServedAndSignedAgainBeforeRequests(bool lost)
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        var (manifest, _) = await PublishAndReadAsync(first);
        await first.DisposeAsync();
        var segment = Directory.GetFiles(Path.Combine(first.DataDirectory, "signed"), "*.seg").Single();
        if (lost)
        {
            File.Delete(segment);
        }
        else
        {
            var bytes = File.ReadAllBytes(segment);
            bytes[bytes.AsSpan().IndexOf(manifest) + (manifest.Length / 2)] ^= 0xff; // one bit of the stored manifest
            File.WriteAllBytes(segment, bytes);
        }

        var lines = new LogLines();
        using var restarted = new RepositoryFactory(dataDirectory: first.DataDirectory) { TestServices = s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(lines) };
        using var client = restarted.CreateClient(apiKey: null);

        Assert.Single((await PublishTests.VerifiedManifestAsync(client, "stable", Fixtures.BuildId, restarted)).Patches);
        Assert.NotEqual(manifest, await client.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}")); // signed again
        Assert.NotNull((await CoverageTests.VerifiedBinAsync(client, "stable", Fixtures.BuildId, restarted)).FindOrNull(Fixtures.BuildId));
        Assert.Contains(lines.Messages, m => m.Contains("signed bytes missing or damaged", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResignDue_EveryDocumentReplaced_OldSegmentDeletedAtTheNextPassAndDocumentsStillServed()
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        await PublishAndReadAsync(first);
        await first.DisposeAsync();
        var segments = Path.Combine(first.DataDirectory, "signed");
        var before = Directory.GetFiles(segments, "*.seg");

        using var restarted = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var client = restarted.CreateClient(apiKey: null);
        restarted.Time.Advance(TimeSpan.FromDays(4)); // every manifest and bin past half its lifetime (7 days)
        var resigner = restarted.Services.GetRequiredService<ResignService>();
        resigner.ResignDue();
        resigner.ResignDue(); // the next pass (the timer may run one too): the replacing commits are a re-sign period old

        Assert.All(before, path => Assert.False(File.Exists(path), $"{path}: only replaced documents, still there"));
        var manifest = await PublishTests.VerifiedManifestAsync(client, "stable", Fixtures.BuildId, restarted);
        Assert.True(manifest.Expires > restarted.Time.GetUtcNow().AddDays(6));
        Assert.NotNull((await CoverageTests.VerifiedBinAsync(client, "stable", Fixtures.BuildId, restarted)).FindOrNull(Fixtures.BuildId));
    }

    private static async Task<(byte[] Manifest, byte[] Bin)> PublishAndReadAsync(RepositoryFactory factory)
    {
        using var client = factory.CreateClient(factory.AdminKey);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).StatusCode);
        return (await client.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}"),
            await client.GetByteArrayAsync($"/v1/coverage/stable/{Fixtures.BuildId[..2]}"));
    }

    /// <summary>Rewrites the records as servers before the signed store left them: one LiteDB document per manifest
    /// (collection <c>manifests</c>) and per bin with the signed bytes inside (field <c>Signed</c>), no location fields, no
    /// migration marker. The caller then deletes the store's folder.</summary>
    private static void WriteTheOldWay(RepositoryDatabase repository)
    {
        var db = repository.Database;
        var manifests = db.GetCollection("manifests");
        foreach (var record in repository.ManifestRecords().GroupBy(r => r.Id).Select(g => g.MaxBy(r => r.Version)!))
        {
            manifests.Insert(new BsonDocument
            {
                ["_id"] = record.Id, ["Channel"] = record.Channel, ["BuildId"] = record.BuildId, ["Version"] = record.Version,
                ["ExpiresMs"] = record.ExpiresMs, ["Signed"] = repository.Signed.Read(record.LocationOf()),
            });
        }

        db.DropCollection("manifestbatches");
        var bins = db.GetCollection("bins");
        foreach (var doc in bins.FindAll().ToList())
        {
            doc["Signed"] = repository.Signed.Read(new SignedLocation(doc["Segment"].AsInt32, doc["Offset"].AsInt64, doc["Length"].AsInt32));
            foreach (var field in new[] { "Sha256", "Segment", "Offset", "Length" })
            {
                doc.Remove(field);
            }

            bins.Update(doc);
        }

        db.GetCollection("counters").Delete("signed-store");
    }
}
