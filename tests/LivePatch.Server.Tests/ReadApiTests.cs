using System.Net;
using System.Net.Http.Headers;
using LivePatch.Core.Manifests;
using LivePatch.Core.Repository;

namespace LivePatch.Server.Tests;

/// <summary>The anonymous read API through the whole pipeline (the read path's middleware, then the endpoints), with the
/// default, tuned read path; <see cref="ReadApiSimpleReadPathTests"/> runs every test again with the simple one.</summary>
public class ReadApiTests : IDisposable
{
    private readonly RepositoryFactory _factory;

    public ReadApiTests()
        : this("tuned")
    {
    }

    protected ReadApiTests(string readPath) => _factory = new(new() { [LivePatch.Server.ReadPath.ReadPathSetting.Key] = readPath });

    public void Dispose() => _factory.Dispose();

    /// <summary>An admin client of a repository where the fixture kernel has a manifest.</summary>
    private async Task<HttpClient> PublishedAsync()
    {
        var client = _factory.CreateClient(_factory.AdminKey);
        (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).EnsureSuccessStatusCode();
        return client;
    }

    [Fact]
    public async Task Manifest_NothingPublished_404KernelNotCoveredNamingTheBin()
    {
        using var client = _factory.CreateClient(apiKey: null);

        var response = await client.GetAsync($"/v1/manifests/stable/{Fixtures.OtherBuildId}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"kernel-not-covered\"", problem);
        Assert.Contains($"/v1/coverage/stable/{Fixtures.OtherBuildId[..2]}", problem);
    }

    [Fact]
    public async Task Manifest_IfNoneMatchCurrentETag_304WithoutBody()
    {
        using var client = await PublishedAsync();
        var first = await client.GetAsync($"/v1/manifests/stable/{Fixtures.BuildId}");
        var etag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/manifests/stable/{Fixtures.BuildId}");
        request.Headers.IfNoneMatch.Add(etag);
        var second = await client.SendAsync(request);

        Assert.False(etag.IsWeak);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
        Assert.Contains("max-age", first.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task Manifest_AfterPublish_ETagChanges()
    {
        using var client = await PublishedAsync();
        var before = (await client.GetAsync($"/v1/manifests/stable/{Fixtures.BuildId}")).Headers.ETag!;
        await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.ecdsa-p384-sha384.ko"));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/manifests/stable/{Fixtures.BuildId}");
        request.Headers.IfNoneMatch.Add(before);
        var after = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(before, after.Headers.ETag);
    }

    [Theory]
    [InlineData("/v1/manifests/nightly/4a5a9b0affb66c437abcd455d2738af879985fa9", HttpStatusCode.NotFound, "unknown-channel")]
    [InlineData("/v1/manifests/stable/4A5A9B0AFFB66C437ABCD455D2738AF879985FA9", HttpStatusCode.BadRequest, "build-id-invalid")]
    [InlineData("/v1/manifests/stable/4a5a9b0a", HttpStatusCode.BadRequest, "build-id-invalid")]
    [InlineData("/v1/manifests/stable/..%2F..%2F..%2Fetc%2Fpasswd", HttpStatusCode.BadRequest, "build-id-invalid")]
    [InlineData("/v1/manifests/..%2F..%2Fkeys/4a5a9b0affb66c437abcd455d2738af879985fa9", HttpStatusCode.NotFound, "unknown-channel")]
    [InlineData("/v1/blobs/sha256/..%2F..%2F..%2Fkeys%2Fmanifest-signing.key", HttpStatusCode.BadRequest, "invalid-hash")]
    [InlineData("/v1/blobs/sha256/ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", HttpStatusCode.BadRequest, "invalid-hash")]
    [InlineData("/v1/blobs/sha256/0000000000000000000000000000000000000000000000000000000000000000", HttpStatusCode.NotFound, "blob-not-found")]
    public async Task Read_BadOrTraversingRouteValues_RefusedWithCode(string url, HttpStatusCode status, string code)
    {
        using var client = _factory.CreateClient(apiKey: null);

        await PublishTests.AssertProblemAsync(await client.GetAsync(url), status, code);
    }

    [Theory]
    [InlineData("/v1/manifests/stable/4a5a9b0a", HttpStatusCode.BadRequest)]
    [InlineData("/v1/manifests/nightly/4a5a9b0affb66c437abcd455d2738af879985fa9", HttpStatusCode.NotFound)]
    [InlineData("/v1/blobs/sha256/ABCDEF", HttpStatusCode.BadRequest)]
    public async Task Read_HeadOfBadRouteValue_SameStatusAsGetAsProblem(string url, HttpStatusCode status)
    {
        using var client = _factory.CreateClient(apiKey: null);

        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Blob_RangeRequest_ReturnsThePartAndImmutableCaching()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var patch = (await (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).Content.ReadFromJsonAsync<PatchInfo>())!;
        var module = FixtureFiles.Module("lp_sample.rsa2048-sha256.ko");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/blobs/sha256/{patch.Sha256}");
        request.Headers.Range = new RangeHeaderValue(100, 199);
        var partial = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(module[100..200], await partial.Content.ReadAsByteArrayAsync());
        Assert.Contains("immutable", partial.Headers.CacheControl!.ToString());
        Assert.Equal($"\"{patch.Sha256}\"", partial.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Blob_WholeGetThenRevalidation_BytesThen304()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var patch = (await (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).Content.ReadFromJsonAsync<PatchInfo>())!;

        var whole = await client.GetAsync($"/v1/blobs/sha256/{patch.Sha256}");
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/v1/blobs/sha256/{patch.Sha256}");
        again.Headers.TryAddWithoutValidation("If-None-Match", $"W/\"other\", \"{patch.Sha256}\"");
        var revalidated = await client.SendAsync(again);

        Assert.Equal(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"), await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/octet-stream", whole.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", whole.Headers.CacheControl!.ToString());
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
    }

    [Fact]
    public async Task Manifest_HeadAndWeakIfNoneMatch_AnsweredLikeGet()
    {
        using var client = await PublishedAsync();
        var get = await client.GetAsync($"/v1/manifests/stable/{Fixtures.BuildId}");

        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v1/manifests/stable/{Fixtures.BuildId}"));
        using var weak = new HttpRequestMessage(HttpMethod.Get, $"/v1/manifests/stable/{Fixtures.BuildId}");
        weak.Headers.TryAddWithoutValidation("If-None-Match", "W/" + get.Headers.ETag!.Tag);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(weak)).StatusCode);
    }

    [Fact]
    public async Task Index_ListsEveryBinOfEveryChannelWithItsHash()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko", ("buildId", Fixtures.BuildId), ("buildId", Fixtures.OtherBuildId)));

        var bytes = await client.GetByteArrayAsync("/v1/index");

        var index = new RepositoryIndexVerifier(TestKeys.Policy, _factory.Time).Verify(bytes, out var issue);
        Assert.Null(issue);
        Assert.Equal(256, index!.Bins.Count); // the factory's one channel, empty bins included
        Assert.Equal(Enumerable.Range(0, 256).Select(p => $"{p:x2}"), index.Bins.Select(b => b.Prefix));
        var entry = index.Bins.Single(b => b.Prefix == Fixtures.BuildId[..2]);
        var bin = await client.GetByteArrayAsync($"/v1/coverage/stable/{Fixtures.BuildId[..2]}");
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bin)), entry.Sha256);
        Assert.Equal(bin.Length, entry.Size);
        Assert.True(entry.Version <= index.Version);
    }

    [Fact]
    public async Task Index_IsNotAcceptedAsAManifest()
    {
        using var client = _factory.CreateClient(apiKey: null);

        var result = _factory.ManifestVerifier.Verify(await client.GetByteArrayAsync("/v1/index"));

        Assert.Equal("cms-wrong-content-type", result.Issue?.Code);
    }

    [Theory]
    [InlineData("/healthz", "Healthy")]
    [InlineData("/openapi/v1.json", "/v1/patches")]
    [InlineData("/scalar/", "html")]
    public async Task ServiceEndpoints_Answer(string url, string expected)
    {
        using var client = _factory.CreateClient(apiKey: null);

        var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Every read API test against <c>LivePatch:ReadPath=simple</c>: the same answers from the snapshot store.</summary>
public sealed class ReadApiSimpleReadPathTests() : ReadApiTests("simple");
