using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Net.Http.Json;
using System.Text.Json;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>POST /v1/patches/batch: many modules, each for its own kernels, in one request; every patch or none.</summary>
public sealed class BatchPublishTests : IDisposable
{
    private const string Rsa = "lp_sample.rsa2048-sha256.ko";
    private const string Ecdsa = "lp_sample.ecdsa-p384-sha384.ko";
    private const string Untrusted = "lp_sample.other-sha256.ko";

    private readonly RepositoryFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    /// <summary>The batch form: the description as JSON, then each module part under its file name.</summary>
    internal static MultipartFormDataContent Form(object batch, params (string FileName, byte[] Module)[] modules)
    {
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(batch)), "batch" } };
        foreach (var (fileName, module) in modules)
        {
            var file = new ByteArrayContent(module);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, "module", fileName);
        }

        return form;
    }

    private static (string, byte[]) Module(string fileName, string fixture) => (fileName, FixtureFiles.Module(fixture));

    [Fact]
    public async Task Batch_ModulesForTheirOwnKernels_AllStoredInOrderAndSignedLikeSinglePublishes()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var batch = new
        {
            patches = new object[]
            {
                new { module = "a.ko", buildIds = new[] { Fixtures.BuildId }, cves = new[] { "CVE-2026-1234" }, severity = "high" },
                new { module = "b.ko", buildIds = new[] { Fixtures.OtherBuildId }, description = "the other kernel" },
                // A second patch for the first kernel: its level is above the one the batch gave that kernel before it.
                new { module = "c.ko", buildIds = new[] { Fixtures.BuildId }, replace = false },
            },
        };

        var response = await client.PostAsync("/v1/patches/batch", Form(batch,
            Module("a.ko", Rsa), Module("b.ko", Ecdsa), Module("c.ko", "lp_sample.rsa2048-sha256-skid.ko")));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var stored = (await response.Content.ReadFromJsonAsync<PublishedBatch>())!.Patches;
        Assert.Equal([(1, Fixtures.BuildId), (1, Fixtures.OtherBuildId), (2, Fixtures.BuildId)], stored.Select(p => (p.Level, p.BuildIds.Single())));
        Assert.Equal([true, true, false], stored.Select(p => p.Replace));
        Assert.Equal(("high", "the other kernel"), (stored[0].Severity, stored[1].Description));
        var first = await PublishTests.VerifiedManifestAsync(client, "stable", Fixtures.BuildId, _factory);
        Assert.Equal([(stored[0].Sha256, 1), (stored[2].Sha256, 2)], first.Patches.Select(p => (p.Sha256, p.Level)));
        Assert.Equal(stored[1].Sha256, (await PublishTests.VerifiedManifestAsync(client, "stable", Fixtures.OtherBuildId, _factory)).Patches.Single().Sha256);
        Assert.NotNull((await CoverageTests.VerifiedBinAsync(client, "stable", Fixtures.OtherBuildId, _factory)).FindOrNull(Fixtures.OtherBuildId));
        Assert.Equal(FixtureFiles.Module(Ecdsa), await client.GetByteArrayAsync($"/v1/blobs/sha256/{stored[1].Sha256}"));
        Assert.Equal(3, PublishTests.BlobFiles(_factory).Length);
    }

    [Fact]
    public async Task Batch_OneModuleNotSignedByTheKeyring_RefusedNamingIt_NothingStored()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var batch = new
        {
            patches = new object[]
            {
                new { module = "good.ko", buildIds = new[] { Fixtures.BuildId } },
                new { module = "forged.ko", buildIds = new[] { Fixtures.OtherBuildId } },
            },
        };

        var response = await client.PostAsync("/v1/patches/batch", Form(batch, Module("good.ko", Rsa), Module("forged.ko", Untrusted)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<ProblemInfo>())!;
        Assert.StartsWith("Patch 2 of the batch (module 'forged.ko'): The module signature is not accepted", problem.Detail);
        await PublishTests.AssertNothingStoredAsync(client, _factory);
        await CoverageTests.AssertNotCoveredAsync(client, "stable", Fixtures.OtherBuildId, _factory);
    }

    [Fact]
    public async Task Batch_TwoRefusedModules_TheFirstInBatchOrderIsReported_NotTheFirstChecked()
    {
        // The modules are checked side by side, so a later refusal (patch 40: not a module, refused at its first bytes) may
        // well be found before an earlier one (patch 5: refused by its signature check); the earlier is the one reported.
        using var client = _factory.CreateClient(_factory.AdminKey);
        var fixtures = Enumerable.Range(1, 40).Select(n => n switch { 5 => Untrusted, 40 => "", _ => Rsa }).ToList();
        var batch = new
        {
            patches = fixtures.Select((_, i) => new { module = $"m{i + 1}.ko", buildIds = new[] { $"{i + 1:x8}{new string('c', 32)}" } }).ToArray(),
        };
        var modules = fixtures.Select((fixture, i) => ($"m{i + 1}.ko", fixture.Length > 0 ? FixtureFiles.Module(fixture) : "not a module"u8.ToArray()));

        var response = await client.PostAsync("/v1/patches/batch", Form(batch, [.. modules]));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<ProblemInfo>())!;
        Assert.StartsWith("Patch 5 of the batch (module 'm5.ko'): The module signature is not accepted", problem.Detail);
        await PublishTests.AssertNothingStoredAsync(client, _factory);
    }

    [Theory]
    [InlineData("same module twice for one kernel", Rsa, null, "duplicate-module")]
    [InlineData("an explicit level not above the batch's own", "lp_sample.rsa2048-sha256-skid.ko", 1, "level-not-increasing")]
    public async Task Batch_LaterPatchClashesWithAnEarlierOneOfTheBatch_RefusedAndNothingStored(string why, string second, int? level, string code)
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var batch = new
        {
            patches = new object[]
            {
                new { module = "first.ko", buildIds = new[] { Fixtures.BuildId }, level = 1 },
                new { module = "second.ko", buildIds = new[] { Fixtures.BuildId }, level },
            },
        };

        var response = await client.PostAsync("/v1/patches/batch", Form(batch, Module("first.ko", Rsa), Module("second.ko", second)));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.Conflict, code);
        Assert.Contains("Patch 2 of the batch (module 'second.ko')", (await response.Content.ReadFromJsonAsync<ProblemInfo>())!.Detail);
        await PublishTests.AssertNothingStoredAsync(client, _factory);
        Assert.NotNull(why);
    }

    [Fact]
    public async Task Batch_ClashesWithAPublishedPatch_RefusedAndNothingMoreStored()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/patches", Fixtures.Upload(Rsa))).StatusCode);
        var batch = new
        {
            patches = new object[]
            {
                new { module = "new.ko", buildIds = new[] { Fixtures.OtherBuildId } },
                new { module = "again.ko", buildIds = new[] { Fixtures.BuildId } },
            },
        };

        var response = await client.PostAsync("/v1/patches/batch", Form(batch, Module("new.ko", Ecdsa), Module("again.ko", Rsa)));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.Conflict, "duplicate-module");
        Assert.Single(await Listings.PatchesAsync(client));
        Assert.Single(PublishTests.BlobFiles(_factory));
        await CoverageTests.AssertNotCoveredAsync(client, "stable", Fixtures.OtherBuildId, _factory);
    }

    public static TheoryData<string, string, string[], string> BadForms => new()
    {
        { "no batch field", "", ["a.ko"], "batch-invalid" },
        { "not JSON", "{\"patches\": [", ["a.ko"], "batch-invalid" },
        { "a misspelt field", "{\"patches\":[{\"module\":\"a.ko\",\"buildID\":[\"" + Fixtures.BuildId + "\"]}]}", ["a.ko"], "batch-invalid" },
        { "a null build ID", "{\"patches\":[{\"module\":\"a.ko\",\"buildIds\":[null]}]}", ["a.ko"], "batch-invalid" },
        { "no patches", "{\"patches\":[]}", [], "batch-invalid" },
        { "a module no part carries", "{\"patches\":[{\"module\":\"b.ko\",\"buildIds\":[\"" + Fixtures.BuildId + "\"]}]}", ["a.ko"], "module-part-missing" },
        { "a part no patch names", "{\"patches\":[{\"module\":\"a.ko\",\"buildIds\":[\"" + Fixtures.BuildId + "\"]}]}", ["a.ko", "b.ko"], "batch-invalid" },
        { "two parts with one file name", "{\"patches\":[{\"module\":\"a.ko\",\"buildIds\":[\"" + Fixtures.BuildId + "\"]}]}", ["a.ko", "a.ko"], "batch-invalid" },
        { "a bad build ID", "{\"patches\":[{\"module\":\"a.ko\",\"buildIds\":[\"xyz\"]}]}", ["a.ko"], "build-id-invalid" },
    };

    [Theory]
    [MemberData(nameof(BadForms))]
    public async Task Batch_FormThatIsNoBatch_400WithItsCodeAndNothingStored(string why, string json, string[] parts, string code)
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var form = new MultipartFormDataContent();
        if (json.Length > 0)
        {
            form.Add(new StringContent(json), "batch");
        }

        foreach (var part in parts)
        {
            form.Add(new ByteArrayContent(FixtureFiles.Module(Rsa)), "module", part);
        }

        var response = await client.PostAsync("/v1/patches/batch", form);

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, code);
        await PublishTests.AssertNothingStoredAsync(client, _factory);
        Assert.NotNull(why);
    }

    [Fact]
    public async Task Batch_DescriptionSentAsAFile_400SaysToSendItAsAField()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent("{\"patches\":[]}"u8.ToArray()), "batch", "batch.json" }, // what curl -F batch=@batch.json sends
            { new ByteArrayContent(FixtureFiles.Module(Rsa)), "module", "a.ko" },
        };

        var response = await client.PostAsync("/v1/patches/batch", form);

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "batch-invalid");
        Assert.Contains("'batch=<batch.json'", (await response.Content.ReadFromJsonAsync<ProblemInfo>())!.Detail);
        await PublishTests.AssertNothingStoredAsync(client, _factory);
    }

    [Fact]
    public async Task Batch_MorePatchesThanOneBatchHolds_400TooManyPatches()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var ids = WriterBatchingTests.BuildIds(PatchService.MaxPatchesPerBatch + 1);
        var batch = new { patches = ids.Select(id => new { module = "a.ko", buildIds = new[] { id } }).ToArray() };

        var response = await client.PostAsync("/v1/patches/batch", Form(batch, Module("a.ko", Rsa)));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "too-many-patches");
        await PublishTests.AssertNothingStoredAsync(client, _factory);
    }

    [Fact]
    public async Task Batch_MillionsOfEmptyPatches_RefusedByCountBeforeAnyIsBuilt()
    {
        // 3 bytes each: within the field's 8 MiB, a million patches the deserializer would build (and then refuse as incomplete).
        using var client = _factory.CreateClient(_factory.AdminKey);
        var json = "{\"patches\":[" + string.Join(',', Enumerable.Repeat("{}", 1_000_000)) + "]}";
        var form = new MultipartFormDataContent { { new StringContent(json), "batch" } };

        var response = await client.PostAsync("/v1/patches/batch", form);

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "too-many-patches");
    }

    [Theory]
    [InlineData(true)]  // Kestrel refuses the body as it arrives (the endpoint's request size limit)
    [InlineData(false)] // a host without that limit: the endpoint counts what it read
    public async Task Batch_LargerThanMaxBatchBytes_413BatchTooLarge(bool kestrel)
    {
        var settings = new Dictionary<string, string?> { ["LivePatch:MaxBatchBytes"] = "20000" };
        using var loopback = kestrel ? new LoopbackRepository(settings) : null;
        using var inMemory = kestrel ? null : new RepositoryFactory(settings);
        var factory = loopback?.Factory ?? inMemory!;
        using var client = loopback?.Client(factory.AdminKey) ?? factory.CreateClient(factory.AdminKey);
        var batch = new
        {
            patches = new object[]
            {
                new { module = "a.ko", buildIds = new[] { Fixtures.BuildId } },
                new { module = "b.ko", buildIds = new[] { Fixtures.OtherBuildId } },
                new { module = "c.ko", buildIds = new[] { WriterBatchingTests.BuildIds(1)[0] } },
            },
        };

        // Three modules of about 7.3 KB: each alone is far below the limit, together they are above it.
        var response = await client.PostAsync("/v1/patches/batch", Form(batch, Module("a.ko", Rsa), Module("b.ko", Ecdsa), Module("c.ko", "lp_sample.rsa2048-sha256-skid.ko")));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "batch-too-large");
        await PublishTests.AssertNothingStoredAsync(client, factory);
    }

    [Fact]
    public async Task Batch_WithoutAPublisherKey_RefusedAndNothingStored()
    {
        using var anonymous = _factory.CreateClient();
        var batch = new { patches = new object[] { new { module = "a.ko", buildIds = new[] { Fixtures.BuildId } } } };

        var response = await anonymous.PostAsync("/v1/patches/batch", Form(batch, Module("a.ko", Rsa)));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var admin = _factory.CreateClient(_factory.AdminKey);
        await PublishTests.AssertNothingStoredAsync(admin, _factory);
    }

    [Fact]
    public async Task Batch_FailsWhileSigning_RolledBack_ModulesItWroteRemoved_AndTheSameBatchThenStored()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var writer = _factory.Services.GetRequiredService<ManifestWriter>();
        writer.BetweenBatches = () =>
        {
            writer.BetweenBatches = null;
            throw new IOException("the disk failed while signing the bins");
        };
        var batch = new
        {
            patches = new object[]
            {
                new { module = "a.ko", buildIds = new[] { Fixtures.BuildId } },
                new { module = "b.ko", buildIds = new[] { Fixtures.OtherBuildId } },
            },
        };

        var failed = await client.PostAsync("/v1/patches/batch", Form(batch, Module("a.ko", Rsa), Module("b.ko", Ecdsa)));

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        await PublishTests.AssertNothingStoredAsync(client, _factory); // no patch, no module file left served
        var again = await client.PostAsync("/v1/patches/batch", Form(batch, Module("a.ko", Rsa), Module("b.ko", Ecdsa)));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        var stored = (await again.Content.ReadFromJsonAsync<PublishedBatch>())!.Patches;
        Assert.Equal(
            [Convert.ToHexStringLower(SHA256.HashData(FixtureFiles.Module(Rsa))), Convert.ToHexStringLower(SHA256.HashData(FixtureFiles.Module(Ecdsa)))],
            stored.Select(p => p.Sha256));
        Assert.Equal(2, PublishTests.BlobFiles(_factory).Length);
    }

    [Fact]
    public async Task Batch_IsOneAuditRecord_StoredOrRefused()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var good = new
        {
            patches = new object[]
            {
                new { module = "a.ko", buildIds = new[] { Fixtures.BuildId } },
                new { module = "b.ko", buildIds = new[] { Fixtures.OtherBuildId } },
            },
        };
        var forged = new { patches = new object[] { new { module = "x.ko", buildIds = new[] { WriterBatchingTests.BuildIds(1)[0] } } } };

        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/patches/batch", Form(good, Module("a.ko", Rsa), Module("b.ko", Ecdsa)))).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostAsync("/v1/patches/batch", Form(forged, Module("x.ko", Untrusted)))).StatusCode);

        var entries = (await client.GetFromJsonAsync<ListPage<AuditEntry>>("/v1/audit?action=publish-batch"))!.Items;
        Assert.Equal(2, entries.Count);
        var (refused, stored) = (entries[0].Outcome == "ok" ? entries[1] : entries[0], entries[0].Outcome == "ok" ? entries[0] : entries[1]);
        Assert.Equal(("ok", "2 patches, ids 1 to 2", 2), (stored.Outcome, stored.Target, stored.BuildIds));
        Assert.Equal("signature-signer-unknown", refused.Outcome);
    }
}
