using System.Net;
using System.Net.Http.Headers;
using LivePatch.Core.Repository;
using Microsoft.AspNetCore.Builder;

namespace LivePatch.Server.Tests;

/// <summary>The mirror mode (LivePatch:Mode=mirror) against the repository mode, over a tree copied from that repository:
/// the same answers, nothing written, no path out of the tree.</summary>
public sealed class MirrorModeTests(MirrorTreeFixture fixture) : IClassFixture<MirrorTreeFixture>, IAsyncLifetime
{
    private static readonly string Manifest = $"v1/manifests/stable/{Fixtures.BuildId}";
    private static readonly string Bin = $"v1/coverage/stable/{Fixtures.BuildId[..2]}";
    private readonly string _folder = Directory.CreateTempSubdirectory("lpatch-mirror-mode-").FullName;
    private string _tree = null!;
    private WebApplication _app = null!;
    private HttpClient _mirror = null!;

    private HttpClient Repository => fixture.RepositoryClient;

    public async Task InitializeAsync()
    {
        _tree = fixture.CopyTree(_folder);
        (_app, _mirror) = await MirrorTreeFixture.StartMirrorAsync(_tree);
    }

    public async Task DisposeAsync()
    {
        _mirror.Dispose();
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    public static TheoryData<string> ReadPaths => new() { "v1/index", Bin, Manifest, BlobPath };

    private static string BlobPath => $"v1/blobs/sha256/{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko")))}";

    [Theory]
    [MemberData(nameof(ReadPaths))]
    public async Task Get_SameTreeAsRepository_SameBytesAndHeaders(string path)
    {
        var expected = await Repository.GetAsync(path);
        var actual = await _mirror.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, actual.StatusCode);
        Assert.Equal(await expected.Content.ReadAsByteArrayAsync(), await actual.Content.ReadAsByteArrayAsync());
        Assert.Equal(expected.Content.Headers.ContentType, actual.Content.Headers.ContentType);
        Assert.Equal(expected.Content.Headers.ContentLength, actual.Content.Headers.ContentLength);
        Assert.Equal(expected.Headers.CacheControl, actual.Headers.CacheControl);
        Assert.Equal(expected.Headers.ETag, actual.Headers.ETag); // the same bytes, the same strong ETag
        Assert.False(actual.Headers.ETag!.IsWeak);
        Assert.Equal(actual.Headers.ETag, (await _mirror.GetAsync(path)).Headers.ETag);
    }

    [Theory]
    [MemberData(nameof(ReadPaths))]
    public async Task Get_IfNoneMatchCurrentETag_304WithCacheControl(string path)
    {
        var etag = (await _mirror.GetAsync(path)).Headers.ETag!;
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("If-None-Match", $"W/\"other\", {etag.Tag}");

        var response = await _mirror.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, response.Headers.ETag);
        Assert.Equal((await Repository.GetAsync(path)).Headers.CacheControl, response.Headers.CacheControl);
    }

    [Theory]
    [MemberData(nameof(ReadPaths))]
    public async Task Head_LikeGetWithoutBody(string path)
    {
        var get = await _mirror.GetAsync(path);

        var head = await _mirror.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.Equal(get.Content.Headers.ContentLength, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(100L, 199L)]
    [InlineData(0L, null)]
    public async Task Blob_Range_206LikeRepository(long from, long? to)
    {
        var expected = await SendRangeAsync(Repository, new RangeHeaderValue(from, to));
        var actual = await SendRangeAsync(_mirror, new RangeHeaderValue(from, to));

        Assert.Equal(HttpStatusCode.PartialContent, actual.StatusCode);
        Assert.Equal(expected.Content.Headers.ContentRange, actual.Content.Headers.ContentRange);
        Assert.Equal(await expected.Content.ReadAsByteArrayAsync(), await actual.Content.ReadAsByteArrayAsync());
        Assert.Equal(expected.Headers.ETag, actual.Headers.ETag);
        Assert.Equal(expected.Headers.CacheControl, actual.Headers.CacheControl);
    }

    [Fact]
    public async Task Blob_RangePastTheEnd_416LikeRepository()
    {
        var range = new RangeHeaderValue(100_000_000, null);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await SendRangeAsync(Repository, range)).StatusCode);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await SendRangeAsync(_mirror, range)).StatusCode);
    }

    [Fact]
    public async Task Manifest_NotInTree_404KernelNotCoveredLikeRepository()
    {
        var path = $"v1/manifests/stable/{Fixtures.OtherBuildId}";

        var actual = await _mirror.GetAsync(path);

        await PublishTests.AssertProblemAsync(actual, HttpStatusCode.NotFound, "kernel-not-covered");
        Assert.Equal(await DetailAsync(await Repository.GetAsync(path)), await DetailAsync(actual));
        Assert.Contains($"/v1/coverage/stable/{Fixtures.OtherBuildId[..2]}", await DetailAsync(actual));
    }

    [Theory]
    [InlineData("v1/manifests/nightly/4a5a9b0affb66c437abcd455d2738af879985fa9")]
    [InlineData("v1/manifests/stable/4A5A9B0AFFB66C437ABCD455D2738AF879985FA9")]
    [InlineData("v1/manifests/stable/4a5a9b0a")]
    [InlineData("v1/manifests/stable/4a5a9b0affb66c437abcd455d2738af879985fa9aa4a5a9b0affb66c437abcd455d2738af879985fa9aa4a5a9b0affb66c437abcd455d2738af879985fa9aa4a5a9b0affb66c437abcd455d2738af879985fa9aa")]
    [InlineData("v1/manifests/stable/..%2F..%2F..%2Fetc%2Fpasswd")]
    [InlineData("v1/manifests/stable/%2E%2E")]
    [InlineData("v1/manifests/..%2F..%2Fkeys/4a5a9b0affb66c437abcd455d2738af879985fa9")]
    [InlineData("v1/manifests/STABLE/4a5a9b0affb66c437abcd455d2738af879985fa9")]
    [InlineData("v1/manifests/a-channel-name-that-is-far-too-long-for-a-channel/4a5a9b0affb66c437abcd455d2738af879985fa9")]
    [InlineData("v1/coverage/stable/4A")]
    [InlineData("v1/coverage/stable/4a5")]
    [InlineData("v1/coverage/stable/..")]
    [InlineData("v1/coverage/stable/%2E%2E%2Findex")]
    [InlineData("v1/coverage/nightly/4a")]
    [InlineData("v1/blobs/sha256/..%2F..%2F..%2Fkeys%2Fmanifest-signing.key")]
    [InlineData("v1/blobs/sha256/ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("v1/blobs/sha256/abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567890")]
    [InlineData("v1/blobs/sha256/0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task Read_BadOrTraversingName_SameProblemAsRepository(string path)
    {
        var expected = await Repository.GetAsync(path);
        var code = (await ProblemAsync(expected)).Code!;

        var actual = await _mirror.GetAsync(path);

        await PublishTests.AssertProblemAsync(actual, expected.StatusCode, code);
    }

    [Fact]
    public async Task Coverage_BinMissingFromTree_404NotFound()
    {
        File.Delete(Path.Combine(_tree, Bin));

        await PublishTests.AssertProblemAsync(await _mirror.GetAsync(Bin), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Index_RemovedFromTree_404NotFoundAndNotReadyButLive()
    {
        File.Delete(Path.Combine(_tree, "v1", "index"));

        await PublishTests.AssertProblemAsync(await _mirror.GetAsync("v1/index"), HttpStatusCode.NotFound, "not-found");
        var ready = await _mirror.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(("mirror-tree", "Unhealthy"), await SingleCheckAsync(ready));
        Assert.DoesNotContain(_tree, await ready.Content.ReadAsStringAsync()); // the tree's path is for the log, not for anonymous callers
        Assert.Equal("Healthy", await _mirror.GetStringAsync("healthz")); // the process is fine: no restart wanted
    }

    [Fact]
    public async Task Readyz_IndexReplacedByFolder_503NotReady()
    {
        var index = Path.Combine(_tree, "v1", "index");
        File.Delete(index);
        Directory.CreateDirectory(index);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await _mirror.GetAsync("readyz")).StatusCode);
    }

    [Theory]
    [InlineData("POST", "v1/patches")]
    [InlineData("POST", "v1/patches/1/promote")]
    [InlineData("POST", "v1/patches/1/revoke")]
    [InlineData("DELETE", "v1/patches/1")]
    [InlineData("GET", "v1/patches")]
    [InlineData("GET", "v1/patches/1")]
    [InlineData("GET", "v1/kernels")]
    [InlineData("GET", "v1/api-keys")]
    [InlineData("POST", "v1/api-keys")]
    [InlineData("DELETE", "v1/api-keys/1")]
    [InlineData("POST", "v1/index")]
    [InlineData("PUT", "v1/manifests/stable/4a5a9b0affb66c437abcd455d2738af879985fa9")]
    [InlineData("DELETE", "v1/manifests/stable/4a5a9b0affb66c437abcd455d2738af879985fa9")]
    [InlineData("PUT", "v1/blobs/sha256/0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("GET", "openapi/v1.json")]
    [InlineData("GET", "ui")]
    [InlineData("POST", "ui/login")]
    public async Task WriteOrListing_404NotFoundAndTreeUntouched(string method, string path)
    {
        var before = Snapshot();
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "GET" ? null : Fixtures.Upload("lp_sample.rsa2048-sha256.ko"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Repository.AdminKey);

        var response = await _mirror.SendAsync(request);

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
        Assert.Contains("mirror", await DetailAsync(response));
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public async Task Manifest_SymlinkOutOfTree_NotServed()
    {
        var outside = Path.Combine(_folder, "secret");
        File.WriteAllText(outside, "not for the fleet");
        var manifest = Path.Combine(_tree, Manifest);
        File.Delete(manifest);
        File.CreateSymbolicLink(manifest, outside);

        var response = await _mirror.GetAsync(Manifest);

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.NotFound, "kernel-not-covered");
    }

    [Fact]
    public async Task Manifest_FifoInItsPlace_404AtOnce()
    {
        var manifest = Path.Combine(_tree, Manifest);
        File.Delete(manifest);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [manifest]))
        {
            await mkfifo.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)); // a plain open waits for a writer forever
        var response = await _mirror.GetAsync(Manifest, timeout.Token);

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.NotFound, "kernel-not-covered");
    }

    [Fact]
    public async Task Blob_FolderSymlinkedOutOfTree_NotServed()
    {
        var blobs = Path.Combine(_tree, "v1", "blobs", "sha256");
        var outside = Path.Combine(_folder, "elsewhere");
        Directory.Move(blobs, outside);
        Directory.CreateSymbolicLink(blobs, outside);

        var response = await _mirror.GetAsync(BlobPath);

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.NotFound, "blob-not-found");
    }

    [Fact]
    public async Task Manifest_SymlinkInsideTree_Served()
    {
        var manifest = Path.Combine(_tree, Manifest);
        var inside = Path.Combine(_tree, "v1", "manifest-copy");
        File.Move(manifest, inside);
        File.CreateSymbolicLink(manifest, Path.Combine("..", "..", "manifest-copy"));

        var response = await _mirror.GetAsync(Manifest);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(await File.ReadAllBytesAsync(inside), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Manifest_ReplacedByRenameUnderneath_ServedFresh()
    {
        var manifest = Path.Combine(_tree, Manifest);
        var first = await _mirror.GetAsync(Manifest);
        var replacement = await File.ReadAllBytesAsync(manifest);
        replacement[^1] ^= 0xff; // same length; a cache keyed by size and time alone would miss it
        var mtime = File.GetLastWriteTimeUtc(manifest);
        await File.WriteAllBytesAsync(manifest + ".tmp", replacement);
        File.SetLastWriteTimeUtc(manifest + ".tmp", mtime);
        File.Move(manifest + ".tmp", manifest, overwrite: true);

        using var request = new HttpRequestMessage(HttpMethod.Get, Manifest);
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var second = await _mirror.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(replacement, await second.Content.ReadAsByteArrayAsync());
        Assert.NotEqual(first.Headers.ETag, second.Headers.ETag);
    }

    [Fact]
    public async Task Root_SymlinkSwitchedToAnotherTree_ServesTheNewTree()
    {
        var link = Path.Combine(_folder, "current");
        var next = Path.Combine(_folder, "next");
        Directory.CreateSymbolicLink(link, _tree);
        var (app, mirror) = await MirrorTreeFixture.StartMirrorAsync(link);
        await using var _ = app;
        using var __ = mirror;
        var before = await mirror.GetByteArrayAsync(Manifest);
        Directory.CreateDirectory(next);
        foreach (var file in Directory.EnumerateFiles(_tree, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(next, Path.GetRelativePath(_tree, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        var replacement = before.ToArray();
        replacement[^1] ^= 0xff;
        await File.WriteAllBytesAsync(Path.Combine(next, Manifest), replacement);
        File.CreateSymbolicLink(link + ".new", next);
        // rename(2) of the new link over the old one, as an operator would switch trees (.NET's moves follow the link)
        using (var mv = System.Diagnostics.Process.Start("mv", ["-T", link + ".new", link]))
        {
            mv.WaitForExit();
            Assert.Equal(0, mv.ExitCode);
        }

        Assert.Equal(replacement, await mirror.GetByteArrayAsync(Manifest));
    }

    [Fact]
    public async Task Manifest_LargerThanAnySignedDocument_500AndNotRead()
    {
        await File.WriteAllBytesAsync(Path.Combine(_tree, Manifest), new byte[Mirror.MirrorFiles.MaxSignedDocumentBytes + 1]);

        var response = await _mirror.GetAsync(Manifest);

        // Not a document the repository signs: the operator's tree is damaged, and the log names the file.
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("internal-error", (await ProblemAsync(response)).Code);
    }

    [Fact]
    public async Task Healthz_Healthy()
    {
        Assert.Equal("Healthy", await _mirror.GetStringAsync("healthz"));
    }

    [Fact]
    public async Task Readyz_TreeReadable_200MirrorTreeHealthy()
    {
        var response = await _mirror.GetAsync("readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("mirror-tree", "Healthy"), await SingleCheckAsync(response));
    }

    private static async Task<(string Name, string Status)> SingleCheckAsync(HttpResponseMessage readyz)
    {
        using var body = System.Text.Json.JsonDocument.Parse(await readyz.Content.ReadAsStringAsync());
        var check = Assert.Single(body.RootElement.GetProperty("checks").EnumerateArray());
        return (check.GetProperty("name").GetString()!, check.GetProperty("status").GetString()!);
    }

    private static Task<HttpResponseMessage> SendRangeAsync(HttpClient client, RangeHeaderValue range)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, BlobPath);
        request.Headers.Range = range;
        return client.SendAsync(request);
    }

    private static async Task<ProblemInfo> ProblemAsync(HttpResponseMessage response) =>
        System.Text.Json.JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), RepositoryJsonContext.Default.ProblemInfo)!;

    private static async Task<string?> DetailAsync(HttpResponseMessage response) => (await ProblemAsync(response)).Detail;

    /// <summary>Every entry under the mirror's folder with its size and time: what a write would change.</summary>
    private List<string> Snapshot() =>
        [.. Directory.EnumerateFileSystemEntries(_folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => $"{p} {(File.Exists(p) ? new FileInfo(p).Length : -1)} {File.GetLastWriteTimeUtc(p).Ticks}")];
}
