using System.Net;
using LivePatch.Core.Manifests;
using LivePatch.Server.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>Coverage bins: the signed "not covered" answer, and the order in which documents are re-signed.</summary>
public sealed class CoverageTests : IDisposable
{
    private readonly RepositoryFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    /// <summary>The bin of <paramref name="buildId"/> in <paramref name="channel"/>, verified like a host verifies it.</summary>
    internal static async Task<CoverageBin> VerifiedBinAsync(HttpClient client, string channel, string buildId, RepositoryFactory factory)
    {
        var bytes = await client.GetByteArrayAsync($"/v1/coverage/{channel}/{buildId[..2]}");
        var result = new CoverageBinVerifier(TestKeys.Policy, factory.Time).Verify(bytes);
        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Null(CoverageExpectations.For("test", channel, buildId).Check(result.Bin!));
        return result.Bin!;
    }

    /// <summary>What a host sees for a kernel with nothing published: 404 for the manifest, and a signed bin without it.</summary>
    internal static async Task AssertNotCoveredAsync(HttpClient client, string channel, string buildId, RepositoryFactory factory)
    {
        var response = await client.GetAsync($"/v1/manifests/{channel}/{buildId}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("kernel-not-covered", await response.Content.ReadAsStringAsync());
        Assert.Null((await VerifiedBinAsync(client, channel, buildId, factory)).FindOrNull(buildId));
    }

    [Fact]
    public async Task Bin_FreshRepository_EveryPrefixSignedAndEmpty()
    {
        using var client = _factory.CreateClient(apiKey: null);

        foreach (var prefix in new[] { "00", "4a", "ff" })
        {
            var bin = await VerifiedBinAsync(client, "stable", prefix + new string('0', 38), _factory);
            Assert.Empty(bin.Kernels);
            Assert.Equal(prefix, bin.Prefix);
        }
    }

    [Fact]
    public async Task Bin_ThroughPublishesRevokesAndARestart_EveryEntryIsItsKernelsServedManifest()
    {
        // Four kernels of one bin; the bin keeps its entries beside the manifests: after every change each entry must name
        // the manifest served now (hash, size, version), and the bin list exactly the kernels that have one.
        string[] kernels = [.. Enumerable.Range(1, 4).Select(i => $"4a{i:x2}" + new string('0', 36))];
        var data = Directory.CreateTempSubdirectory("lpatch-bin-").FullName;
        using (var factory = new RepositoryFactory(dataDirectory: data) { DeleteDataOnDispose = false })
        {
            using var client = factory.CreateClient(factory.AdminKey);
            var batch = new
            {
                patches = new object[]
                {
                    new { module = "a.ko", buildIds = new[] { kernels[0] } },
                    new { module = "b.ko", buildIds = new[] { kernels[1] } },
                },
            };
            (await client.PostAsync("/v1/patches/batch", BatchPublishTests.Form(batch, ("a.ko", FixtureFiles.Module("lp_sample.rsa2048-sha256.ko")),
                ("b.ko", FixtureFiles.Module("lp_sample.ecdsa-p384-sha384.ko"))))).EnsureSuccessStatusCode();
            await AssertBinIsServedManifestsAsync(client, factory, kernels[..2]);

            (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", kernels[2])))).EnsureSuccessStatusCode();
            (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256-skid.ko", ("buildId", kernels[0])))).EnsureSuccessStatusCode();
            await AssertBinIsServedManifestsAsync(client, factory, kernels[..3]);

            var second = (await Listings.PatchesAsync(client)).Single(p => p.BuildIds.Contains(kernels[1]));
            (await client.PostAsJsonAsync($"/v1/patches/{second.Id}/revoke", new { reason = "bad on AMD" })).EnsureSuccessStatusCode();
            await AssertBinIsServedManifestsAsync(client, factory, kernels[..3]);
        }

        using (var restarted = new RepositoryFactory(dataDirectory: data))
        {
            using var client = restarted.CreateClient(restarted.AdminKey);
            await AssertBinIsServedManifestsAsync(client, restarted, kernels[..3]);
            (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.ecdsa-p384-sha384.ko", ("buildId", kernels[3])))).EnsureSuccessStatusCode();
            await AssertBinIsServedManifestsAsync(client, restarted, kernels);
        }
    }

    private static async Task AssertBinIsServedManifestsAsync(HttpClient client, RepositoryFactory factory, string[] covered)
    {
        var bin = await VerifiedBinAsync(client, "stable", covered[0], factory);
        Assert.Equal(covered, bin.Kernels.Select(k => k.BuildId));
        foreach (var entry in bin.Kernels)
        {
            var manifest = await client.GetByteArrayAsync($"/v1/manifests/stable/{entry.BuildId}");
            Assert.Equal((Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(manifest)), manifest.Length,
                factory.ManifestVerifier.Verify(manifest).Manifest!.Version), (entry.Sha256, entry.Size, entry.Version));
        }
    }

    [Fact]
    public async Task Bin_AfterPublish_ListsTheKernelWithItsManifestsHashVersionAndSize()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var before = await VerifiedBinAsync(client, "stable", Fixtures.BuildId, _factory);

        (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).EnsureSuccessStatusCode();

        var bin = await VerifiedBinAsync(client, "stable", Fixtures.BuildId, _factory);
        var manifest = await client.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}");
        var entry = bin.FindOrNull(Fixtures.BuildId);
        Assert.NotNull(entry);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(manifest)), entry.Sha256);
        Assert.Equal(manifest.Length, entry.Size);
        Assert.Equal(_factory.ManifestVerifier.Verify(manifest).Manifest!.Version, entry.Version);
        Assert.True(bin.Version > entry.Version, "a bin is signed after the manifests it names");
        Assert.True(bin.Version > before.Version);
    }

    [Fact]
    public async Task Bin_OtherPrefixes_NotReSignedByAPublish()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var other = (Fixtures.BuildId[..2] == "00" ? "01" : "00") + new string('0', 38);
        var before = await client.GetByteArrayAsync($"/v1/coverage/stable/{other[..2]}");

        (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).EnsureSuccessStatusCode();

        Assert.Equal(before, await client.GetByteArrayAsync($"/v1/coverage/stable/{other[..2]}"));
    }

    [Fact]
    public async Task UnknownBuildIds_Flooded_NothingSignedNothingStored()
    {
        using var client = _factory.CreateClient(apiKey: null);
        var writer = _factory.Services.GetRequiredService<ManifestWriter>();
        var versions = new List<long>();
        writer.VersionAllocated = versions.Add;

        for (var i = 0; i < 200; i++)
        {
            var buildId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/manifests/stable/{buildId}")).StatusCode);
        }

        Assert.Empty(versions);
    }

    [Theory]
    [InlineData("/v1/coverage/stable/4", HttpStatusCode.BadRequest, "prefix-invalid")]
    [InlineData("/v1/coverage/stable/4A", HttpStatusCode.BadRequest, "prefix-invalid")]
    [InlineData("/v1/coverage/stable/4a5", HttpStatusCode.BadRequest, "prefix-invalid")]
    [InlineData("/v1/coverage/stable/zz", HttpStatusCode.BadRequest, "prefix-invalid")]
    [InlineData("/v1/coverage/nightly/4a", HttpStatusCode.NotFound, "unknown-channel")]
    public async Task Bin_BadName_ProblemWithCode(string url, HttpStatusCode status, string code)
    {
        using var client = _factory.CreateClient(apiKey: null);

        await PublishTests.AssertProblemAsync(await client.GetAsync(url), status, code);
    }

    [Fact]
    public async Task Bin_IfNoneMatch_304AndHeadLikeGet()
    {
        using var client = _factory.CreateClient(apiKey: null);
        var url = $"/v1/coverage/stable/{Fixtures.BuildId[..2]}";
        var get = await client.GetAsync(url);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, url);
        conditional.Headers.IfNoneMatch.Add(get.Headers.ETag!);
        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));

        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(conditional)).StatusCode);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Contains("max-age", get.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task Bin_IsNotAcceptedAsAManifestNorAsTheIndex()
    {
        using var client = _factory.CreateClient(apiKey: null);
        var bytes = await client.GetByteArrayAsync($"/v1/coverage/stable/{Fixtures.BuildId[..2]}");

        Assert.Equal("cms-wrong-content-type", _factory.ManifestVerifier.Verify(bytes).Issue?.Code);
        Assert.Null(new RepositoryIndexVerifier(TestKeys.Policy, _factory.Time).Verify(bytes, out var issue));
        Assert.Equal("cms-wrong-content-type", issue?.Code);
    }

    [Fact]
    public async Task Restart_BinsAndManifestsServedAsStored_IndexStillNamesThem()
    {
        var data = Directory.CreateTempSubdirectory("lpatch-server-").FullName;
        byte[] bin;
        using (var first = new RepositoryFactory(dataDirectory: data) { DeleteDataOnDispose = false })
        {
            using var client = first.CreateClient(first.AdminKey);
            (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).EnsureSuccessStatusCode();
            bin = await client.GetByteArrayAsync($"/v1/coverage/stable/{Fixtures.BuildId[..2]}");
        }

        using var second = new RepositoryFactory(dataDirectory: data);
        using var reader = second.CreateClient(apiKey: null);

        Assert.Equal(bin, await reader.GetByteArrayAsync($"/v1/coverage/stable/{Fixtures.BuildId[..2]}"));
        var index = new RepositoryIndexVerifier(TestKeys.Policy, second.Time).Verify(await reader.GetByteArrayAsync("/v1/index"), out _);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bin)), index!.Bins.Single(b => b.Prefix == Fixtures.BuildId[..2]).Sha256);
    }
}
