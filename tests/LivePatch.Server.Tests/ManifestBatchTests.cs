using System.Net;
using LiteDB;
using LivePatch.Server.Manifests;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>Manifest records are stored many to a LiteDB document (<see cref="ManifestBatchDocument"/>): the newest record of
/// a kernel is the one served, batches whose records were all replaced are deleted, and older databases are migrated.</summary>
public sealed class ManifestBatchTests
{
    [Fact]
    public void Codec_Records_RoundTripWithTheirBatch()
    {
        var records = new List<ManifestDocument>
        {
            Record("stable", "00" + new string('a', 38), 7, segment: 3, offset: 1L << 33),
            Record("testing-ünï", new string('f', 40), long.MaxValue, segment: int.MaxValue, offset: 0),
        };

        var unpacked = ManifestBatchCodec.Unpack(new ManifestBatchDocument { Id = 42, Records = ManifestBatchCodec.Pack(records) });

        Assert.Equal(
            records.Select(r => (r.Id, r.Channel, r.BuildId, r.Version, r.ExpiresMs, r.Sha256, r.Segment, r.Offset, r.Length, Batch: 42)),
            unpacked.Select(r => (r.Id, r.Channel, r.BuildId, r.Version, r.ExpiresMs, r.Sha256, r.Segment, r.Offset, r.Length, r.Batch)));
    }

    public static TheoryData<string, Func<byte[], byte[]>> Damage => new()
    {
        { "cut short", b => b[..^1] },
        { "a byte more", b => [.. b, 0] },
        { "unknown format", b => [2, .. b[1..]] },
        { "a count larger than the bytes", b => [b[0], 0xff, 0xff, 0, 0, .. b[5..]] },
        { "a negative count", b => [b[0], 0xff, 0xff, 0xff, 0xff, .. b[5..]] },
        { "a channel longer than the rest", b => [.. b[..5], 0xff, .. b[6..]] },
        { "nothing", _ => [] },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void Codec_DamagedBatch_RefusedWithTheBatchNamed(string what, Func<byte[], byte[]> damage)
    {
        var packed = ManifestBatchCodec.Pack([Record("stable", new string('a', 40), 1, 1, 0), Record("stable", new string('b', 40), 2, 1, 100)]);

        var error = Assert.Throws<InvalidDataException>(() => ManifestBatchCodec.Unpack(new ManifestBatchDocument { Id = 9, Records = damage(packed) }));
        Assert.Contains("Manifest batch 9", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Contains("damaged", StringComparison.Ordinal), what);
    }

    [Fact]
    public async Task ResignEveryKernel_Repeatedly_ReplacedBatchesDeletedAndARestartServesTheSameDocuments()
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        var kernels = WriterBatchingTests.BuildIds(ManifestWriter.RenderBatchSize + 44);
        byte[][] served;
        using (var client = first.CreateClient(first.AdminKey))
        {
            await WriterBatchingTests.PublishAsync(client, "lp_sample.rsa2048-sha256.ko", kernels);
            var db = first.Services.GetRequiredService<RepositoryDatabase>();
            var writer = first.Services.GetRequiredService<ManifestWriter>();
            Assert.Equal(2, db.ManifestBatches.Count()); // the first transaction's 256 kernels and the rest's 44

            for (var pass = 0; pass < 3; pass++)
            {
                writer.Resign(kernels); // one batch of 1,024: each pass leaves the batches before it without a newest record
            }

            // The last pass's transaction deleted what the one before it replaced; what the last one replaced goes with the
            // next render.
            var batches = db.ManifestBatches.FindAll().Select(b => b.Id).ToList();
            Assert.Equal(2, batches.Count);
            var newest = db.ManifestRecords().GroupBy(r => r.Id).Select(g => g.MaxBy(r => r.Version)!).ToList();
            Assert.Equal(kernels.Count, newest.Count);
            Assert.Single(newest.Select(r => r.Batch).Distinct()); // every kernel's newest record is in the last batch

            await WriterBatchingTests.PublishAsync(client, "lp_sample.ecdsa-p384-sha384.ko", [Fixtures.BuildId]);
            Assert.Equal(2, db.ManifestBatches.Count()); // the last pass's and the publish's
            served = await Task.WhenAll(kernels.Select(k => client.GetByteArrayAsync($"/v1/manifests/stable/{k}")));
        }

        await first.DisposeAsync();
        using var restarted = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var again = restarted.CreateClient(apiKey: null);
        Assert.Equal(served, await Task.WhenAll(kernels.Select(k => again.GetByteArrayAsync($"/v1/manifests/stable/{k}"))));
        Assert.Single((await PublishTests.VerifiedManifestAsync(again, "stable", Fixtures.BuildId, restarted)).Patches);
    }

    /// <summary>A kernel's newest manifest (its patch deleted: an empty one) has its bytes damaged; its older record, in a
    /// batch another kernel keeps, still lists the deleted patch. That older record must never become the one served.</summary>
    [Fact]
    public async Task Restart_NewestRecordDamagedAndItsPatchDeleted_TheOlderRecordIsNeverServed()
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        var (kept, withdrawn) = ("aa" + new string('1', 38), "bb" + new string('2', 38));
        SignedLocation damaged;
        using (var client = first.CreateClient(first.AdminKey))
        {
            await WriterBatchingTests.PublishAsync(client, "lp_sample.rsa2048-sha256.ko", [kept]);
            var patch = await WriterBatchingTests.PublishAsync(client, "lp_sample.ecdsa-p384-sha384.ko", [withdrawn]);
            first.Services.GetRequiredService<ManifestWriter>().Resign([kept, withdrawn]); // one batch holding both
            Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/v1/patches/{patch.Id}")).StatusCode);
            Assert.Empty((await PublishTests.VerifiedManifestAsync(client, "stable", withdrawn, first)).Patches);
            damaged = first.Services.GetRequiredService<RepositoryDatabase>().ManifestRecords()
                .Where(r => r.BuildId == withdrawn).MaxBy(r => r.Version)!.LocationOf();
        }

        await first.DisposeAsync();
        var segmentFile = Path.Combine(first.DataDirectory, "signed", $"{damaged.Segment:D8}.seg");
        var bytes = File.ReadAllBytes(segmentFile);
        bytes[damaged.Offset + (damaged.Length / 2)] ^= 0xff; // the empty manifest's bytes no longer match its record's SHA-256
        File.WriteAllBytes(segmentFile, bytes);

        var second = new RepositoryFactory(dataDirectory: first.DataDirectory) { DeleteDataOnDispose = false };
        using (var client = second.CreateClient(second.AdminKey))
        {
            await PublishTests.AssertProblemAsync(await client.GetAsync($"/v1/manifests/stable/{withdrawn}"), HttpStatusCode.NotFound, "kernel-not-covered");
            await WriterBatchingTests.PublishAsync(client, "lp_sample.rsa2048-sha256-skid.ko", [Fixtures.BuildId]); // a render: dead batches go
        }

        await second.DisposeAsync();
        using var third = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var reader = third.CreateClient(apiKey: null);
        await PublishTests.AssertProblemAsync(await reader.GetAsync($"/v1/manifests/stable/{withdrawn}"), HttpStatusCode.NotFound, "kernel-not-covered");
        Assert.Single((await PublishTests.VerifiedManifestAsync(reader, "stable", kept, third)).Patches);
    }

    /// <summary>A crash during the migration from one document per manifest leaves some records in each place: the next
    /// start moves the rest and serves every kernel.</summary>
    [Fact]
    public async Task Start_RecordsHalfInTheOldCollection_MovedAndEveryKernelServed()
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        var (moved, left) = ("cc" + new string('3', 38), "dd" + new string('4', 38));
        var served = new Dictionary<string, byte[]>();
        using (var client = first.CreateClient(first.AdminKey))
        {
            await WriterBatchingTests.PublishAsync(client, "lp_sample.rsa2048-sha256.ko", [moved]);
            await WriterBatchingTests.PublishAsync(client, "lp_sample.ecdsa-p384-sha384.ko", [left]);
            foreach (var kernel in new[] { moved, left })
            {
                served[kernel] = await client.GetByteArrayAsync($"/v1/manifests/stable/{kernel}");
            }

            // The second publish's batch back into a document of its own, as an older server stored it.
            var db = first.Services.GetRequiredService<RepositoryDatabase>();
            var batch = db.ManifestBatches.FindAll().Single(b => ManifestBatchCodec.Unpack(b).Any(r => r.BuildId == left));
            var record = ManifestBatchCodec.Unpack(batch).Single();
            db.Database.GetCollection<ManifestDocument>("manifests").Insert(record);
            db.ManifestBatches.Delete(batch.Id);
            db.FlushLog();
        }

        await first.DisposeAsync();
        using var restarted = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var reader = restarted.CreateClient(apiKey: null);
        var repository = restarted.Services.GetRequiredService<RepositoryDatabase>();

        Assert.Equal(1, repository.MigratedManifestRecords);
        Assert.False(repository.Database.CollectionExists("manifests"));
        foreach (var (kernel, bytes) in served)
        {
            Assert.Equal(bytes, await reader.GetByteArrayAsync($"/v1/manifests/stable/{kernel}"));
        }
    }

    private static ManifestDocument Record(string channel, string buildId, long version, int segment, long offset) => new()
    {
        Id = ManifestDocument.KeyOf(channel, buildId), Channel = channel, BuildId = buildId, Version = version,
        ExpiresMs = 1_800_000_000_000 + version, Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(version))),
        Segment = segment, Offset = offset, Length = 1500,
    };
}
