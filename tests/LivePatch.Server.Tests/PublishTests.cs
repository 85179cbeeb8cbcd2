using System.Net;
using System.Security.Cryptography;
using System.Text;
using LivePatch.Core;
using LivePatch.Core.Repository;
using LivePatch.Core.Signing;

namespace LivePatch.Server.Tests;

public sealed class PublishTests : IDisposable
{
    private readonly RepositoryFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Publish_SignFileModule_IsStoredAndListedInSignedManifest()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko",
            ("buildId", Fixtures.BuildId), ("cve", "CVE-2026-1234"), ("severity", "high"), ("description", "fixes cmdline")));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var patch = (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
        Assert.Equal(("lp_sample", 1, "6.1.0-56-amd64"), (patch.Name, patch.Level, patch.KernelRelease));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"))), patch.Sha256);
        var manifest = await VerifiedManifestAsync(client, "stable", Fixtures.BuildId);
        var listed = Assert.Single(manifest.Patches);
        Assert.Equal((patch.Sha256, patch.Size, patch.Signer, "CVE-2026-1234"), (listed.Sha256, listed.Size, listed.Signer, listed.Cves[0]));
        Assert.Equal("6.1.0-56-amd64", manifest.KernelRelease);
    }

    [Fact]
    public async Task Publish_Twice_LevelsRiseAndExplicitLevelMustBeHigher()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).StatusCode);
        var second = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.ecdsa-p384-sha384.ko"));
        var stale = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256-skid.ko", ("buildId", Fixtures.BuildId), ("level", "2")));

        Assert.Equal(2, (await second.Content.ReadFromJsonAsync<PatchInfo>())!.Level);
        await AssertProblemAsync(stale, HttpStatusCode.Conflict, "level-not-increasing");
        Assert.Equal([1, 2], (await VerifiedManifestAsync(client, "stable", Fixtures.BuildId)).Patches.Select(p => p.Level));
    }

    [Fact]
    public async Task Publish_CompressedModule_IsAcceptedAsUploaded()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko.zst"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var patch = (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
        var blob = await client.GetByteArrayAsync($"/v1/blobs/sha256/{patch.Sha256}");
        Assert.Equal(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko.zst"), blob);
    }

    [Fact]
    public async Task Publish_SameModuleAgain_RefusedAsDuplicate()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));

        var again = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));

        await AssertProblemAsync(again, HttpStatusCode.Conflict, "duplicate-module");
        Assert.Single(await Listings.PatchesAsync(client));
    }

    [Theory]
    [InlineData("lp_sample.rsa2048-sha256.ko.gz")]
    [InlineData("lp_sample.rsa2048-sha256.ko.xz")]
    public async Task Publish_RecompressedCopyOfPublishedModule_RefusedAsDuplicate(string recompressed)
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));

        var again = await client.PostAsync("/v1/patches", Fixtures.Upload(recompressed));

        // Another blob hash, the same module in the kernel: a second level of it would be no fix at all.
        await AssertProblemAsync(again, HttpStatusCode.Conflict, "duplicate-module");
        Assert.Single(await Listings.PatchesAsync(client));
        Assert.Single(BlobFiles(_factory));
    }

    [Theory]
    [InlineData("lp_sample.ko", "signature-missing")]
    [InlineData("lp_sample.other-sha256.ko", "signature-signer-unknown")]
    [InlineData("lp_sample.rsa2048-sha1.ko", "signature-digest-unsupported")]
    [InlineData("plain.rsa2048-sha256.ko", "module-not-livepatch")]
    public async Task Publish_RejectedModule_422WithCodeAndNothingStored(string fixture, string code)
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(fixture));

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, code);
        await AssertNothingStoredAsync(client);
    }

    [Fact]
    public async Task Publish_TamperedBody_RefusedAsInvalidSignature()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var module = FixtureFiles.Module("lp_sample.rsa2048-sha256.ko");
        var at = module.AsSpan().IndexOf("this has been live patched"u8);
        module[at] = (byte)'T';

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(module, ("buildId", Fixtures.BuildId)));

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "signature-invalid");
        await AssertNothingStoredAsync(client);
    }

    [Fact]
    public async Task Publish_NotElf_RefusedWithFormatCode()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(Encoding.ASCII.GetBytes("#!/bin/sh\nrm -rf /\n"), ("buildId", Fixtures.BuildId)));

        // A format error (category Invalid): 400, not the 422 of a refused signature.
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "elf-bad-magic");
        await AssertNothingStoredAsync(client);
    }

    [Theory]
    [InlineData(new string[0], null, null, "build-id-required")]
    [InlineData(new[] { "xyz" }, null, null, "build-id-invalid")]
    [InlineData(new[] { "../../../../etc/passwd" }, null, null, "build-id-invalid")]
    [InlineData(new[] { Fixtures.BuildId }, null, "0", "level-invalid")]
    [InlineData(new[] { Fixtures.BuildId }, null, "two", "level-invalid")]
    public async Task Publish_BadMetadata_400WithCodeAndNothingStored(string[] buildIds, string? channel, string? level, string code)
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var fields = buildIds.Select(id => ("buildId", id)).ToList();
        if (channel is not null)
        {
            fields.Add(("channel", channel));
        }

        if (level is not null)
        {
            fields.Add(("level", level));
        }

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"), [.. fields]));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, code);
        await AssertNothingStoredAsync(client);
    }

    [Fact]
    public async Task Publish_UnknownChannel_404LikeTheReadPath()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", Fixtures.BuildId), ("channel", "nightly")));

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "unknown-channel");
        await AssertNothingStoredAsync(client);
    }

    [Theory]
    [InlineData("CVE-\u0662\u0660\u0662\u0664-\u0661\u0660\u0668\u0666")] // Arabic-Indic digits: \d matches them, hosts refuse them
    public async Task Publish_NonAsciiCve_400(string cve)
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", Fixtures.BuildId), ("cve", cve)));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "cve-invalid");
        await AssertNothingStoredAsync(client);
    }

    [Theory]
    [InlineData("1000001")]
    [InlineData("2147483647")]
    public async Task Publish_LevelAboveWhatHostsAccept_400(string level)
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", Fixtures.BuildId), ("level", level)));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "level-invalid");
        await AssertNothingStoredAsync(client);
    }

    [Fact]
    public async Task Publish_WithoutLevelAfterMaxLevel_409LevelExhaustedAndNothingStored()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var top = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko",
            ("buildId", Fixtures.BuildId), ("level", $"{Core.Manifests.ManifestLimits.MaxLevel}")));
        Assert.Equal(HttpStatusCode.Created, top.StatusCode);
        var refused = FixtureFiles.Module("lp_sample.ecdsa-p384-sha384.ko");

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(refused, ("buildId", Fixtures.BuildId)));

        // It was a 500 that left the refused module's blob behind, served to anyone.
        await AssertProblemAsync(response, HttpStatusCode.Conflict, "level-exhausted");
        Assert.Single(await Listings.PatchesAsync(client));
        Assert.Single(BlobFiles(_factory));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/blobs/sha256/{Convert.ToHexStringLower(SHA256.HashData(refused))}")).StatusCode);
    }

    [Fact]
    public async Task Publish_BadCveOrSeverity_400()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var cve = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", Fixtures.BuildId), ("cve", "CVE-X")));
        var severity = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", Fixtures.BuildId), ("severity", "apocalyptic")));

        await AssertProblemAsync(cve, HttpStatusCode.BadRequest, "cve-invalid");
        await AssertProblemAsync(severity, HttpStatusCode.BadRequest, "severity-invalid");
        await AssertNothingStoredAsync(client);
    }

    [Fact]
    public async Task Publish_OtherKernelReleaseForSameBuildId_RefusedAsMismatch()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));
        // The same module built "for" another release: vermagic rewritten, then signed like sign-file would.
        var module = FixtureFiles.Module("lp_sample.ko");
        var at = module.AsSpan().IndexOf("vermagic=6.1.0-56-amd64"u8);
        Encoding.ASCII.GetBytes("vermagic=6.1.0-99-amd64").CopyTo(module, at);
        using var signer = ModuleSigner.LoadSigningCertificate(FixtureFiles.PathOf("keys", "rsa2048.pem"), FixtureFiles.PathOf("keys", "rsa2048.key"));
        var signed = ModuleSigner.Sign(module, signer, HashAlgorithmName.SHA256);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(signed, ("buildId", Fixtures.BuildId)));

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "kernel-release-mismatch");
    }

    [Fact]
    public async Task Publish_OverSizeLimit_413AndNothingStored()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:MaxModuleBytes"] = "4096" });
        using var client = factory.CreateClient(factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "module-too-large");
        await AssertNothingStoredAsync(client, factory);
    }

    [Fact]
    public async Task Publish_ManifestOverConfiguredBudget_409AndNothingStored()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:MaxManifestBytes"] = "4096" });
        using var client = factory.CreateClient(factory.AdminKey);
        var cves = Enumerable.Range(1000, 200).Select(n => ("cve", $"CVE-2026-{n}"));

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"),
            [("buildId", Fixtures.BuildId), ("description", new string('x', 1000)), .. cves]));

        await AssertProblemAsync(response, HttpStatusCode.Conflict, "manifest-budget-exceeded");
        await AssertNothingStoredAsync(client, factory);
    }

    [Fact]
    public async Task Publish_NoModulePartOrLongDescription_400()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var noModule = new MultipartFormDataContent { { new StringContent(Fixtures.BuildId), "buildId" } };

        await AssertProblemAsync(await client.PostAsync("/v1/patches", noModule), HttpStatusCode.BadRequest, "module-part-missing");
        await AssertProblemAsync(await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko",
            ("buildId", Fixtures.BuildId), ("description", new string('x', 5000)))), HttpStatusCode.BadRequest, "description-too-long");
        await AssertProblemAsync(await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko",
            ("buildId", Fixtures.BuildId), ("description", "fixes \u001b]0;owned\u0007 cmdline"))), HttpStatusCode.BadRequest, "description-invalid");
        await AssertNothingStoredAsync(client);
    }

    [Fact]
    public async Task Publish_ModuleNameThatIsNoPathSegment_400()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        // A correctly signed module whose .modinfo name would not be a safe /sys/kernel/livepatch/<name> on hosts.
        var module = FixtureFiles.Module("lp_sample.ko");
        var at = module.AsSpan().IndexOf("name=lp_sample"u8);
        Encoding.ASCII.GetBytes("name=lp.sample").CopyTo(module, at);
        using var signer = ModuleSigner.LoadSigningCertificate(FixtureFiles.PathOf("keys", "rsa2048.pem"), FixtureFiles.PathOf("keys", "rsa2048.key"));

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(ModuleSigner.Sign(module, signer, HashAlgorithmName.SHA256), ("buildId", Fixtures.BuildId)));

        // Unusable input (category Invalid), not a failed security check: 400, and lpatch exits 2.
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "module-name-invalid");
        await AssertNothingStoredAsync(client);
    }

    [Fact]
    public async Task Publish_NotMultipart_400()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", new StringContent("{}", Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "multipart-required");
    }

    [Fact]
    public async Task Publish_SeveralKernels_EachGetsAManifest()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko",
            ("buildId", Fixtures.BuildId), ("buildId", Fixtures.OtherBuildId)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Single((await VerifiedManifestAsync(client, "stable", Fixtures.BuildId)).Patches);
        Assert.Single((await VerifiedManifestAsync(client, "stable", Fixtures.OtherBuildId)).Patches);
        Assert.Equal(2, (await Listings.KernelsAsync(client)).Count);
    }

    [Fact]
    public async Task Publish_ThousandsOfKernels_AllGetManifests()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var ids = Enumerable.Range(0, 2000).Select(i => $"{i:x8}{new string('a', 32)}").ToList();

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"), [.. ids.Select(id => ("buildId", id))]));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Single((await VerifiedManifestAsync(client, "stable", ids[1234])).Patches);
    }

    [Fact]
    public async Task Publish_MoreKernelsThanOneRequestMayTarget_400()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var ids = Enumerable.Range(0, 10_001).Select(i => $"{i:x8}{new string('b', 32)}");

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"), [.. ids.Select(id => ("buildId", id))]));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "too-many-build-ids");
        await AssertNothingStoredAsync(client);
    }

    internal static async Task<Core.Manifests.Manifest> VerifiedManifestAsync(HttpClient client, string channel, string buildId, RepositoryFactory? factory = null)
    {
        var bytes = await client.GetByteArrayAsync($"/v1/manifests/{channel}/{buildId}");
        var result = (factory ?? throw new InvalidOperationException()).ManifestVerifier.Verify(bytes);
        Assert.True(result.IsValid, result.Issue?.ToString());
        return result.Manifest!;
    }

    private Task<Core.Manifests.Manifest> VerifiedManifestAsync(HttpClient client, string channel, string buildId) =>
        VerifiedManifestAsync(client, channel, buildId, _factory);

    [Theory]
    [InlineData("0")]
    [InlineData("no")]
    [InlineData("off")]
    [InlineData("yes")]
    public async Task Publish_ReplaceNotTrueOrFalse_400FormInvalidAndNothingStored(string replace)
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", Fixtures.BuildId), ("replace", replace)));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "form-invalid");
        await AssertNothingStoredAsync(client, _factory);
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public async Task Publish_ReplaceTrueOrFalse_IsStored(string replace, bool expected)
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", Fixtures.BuildId), ("replace", replace)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(expected, (await response.Content.ReadFromJsonAsync<PatchInfo>())!.Replace);
    }

    [Fact]
    public async Task Publish_DescriptionWithTerminalEscape_400NotA500()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", Fixtures.BuildId), ("description", "fix\u001b[2J")));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "description-invalid");
        await AssertNothingStoredAsync(client, _factory);
    }

    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonSerializer.Deserialize<ProblemInfo>(body, RepositoryJsonContext.Default.ProblemInfo)!;
        Assert.Equal(code, problem.Code);
        Assert.False(string.IsNullOrWhiteSpace(problem.Detail));
        // Every problem a test drives also checks that the code's category is what decided the status.
        var error = ErrorCode.FindOrNull(code);
        Assert.True(error is not null, $"'{code}' is not a defined error code");
        Assert.Equal(ErrorCategories.HttpStatus(error.Category), (int)response.StatusCode);
    }

    internal static string[] BlobFiles(RepositoryFactory factory) =>
        Directory.GetFiles(Path.Combine(factory.DataDirectory, "blobs"), "*", SearchOption.AllDirectories);

    private Task AssertNothingStoredAsync(HttpClient client) => AssertNothingStoredAsync(client, _factory);

    internal static async Task AssertNothingStoredAsync(HttpClient client, RepositoryFactory factory)
    {
        Assert.Empty(await Listings.PatchesAsync(client));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(factory.DataDirectory, "blobs"), "*", SearchOption.AllDirectories));
        await CoverageTests.AssertNotCoveredAsync(client, "stable", Fixtures.BuildId, factory);
    }
}
