using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using LivePatch.Server.ReadPath;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary><c>LivePatch:ReadPath</c> on a real Kestrel: both designs answer manifests, 304s, HEADs and blobs with the same
/// bytes and headers, only the tuned one registers its own buffer pool, and either reads what the other stored.</summary>
public sealed class ReadPathSettingTests
{
    [Theory]
    [InlineData("tuned", true)]
    [InlineData("simple", false)]
    [InlineData("SIMPLE", false)]
    public async Task Read_EitherDesign_ManifestThen304HeadAndWholeBlob(string readPath, bool warmPool)
    {
        using var server = new LoopbackRepository(new() { [ReadPathSetting.Key] = readPath });
        await server.PublishAsync();
        using var client = server.Client();
        var manifestUrl = $"/v1/manifests/stable/{Fixtures.BuildId}";

        var get = await client.GetAsync(manifestUrl);
        var signed = await get.Content.ReadAsByteArrayAsync();
        using var poll = new HttpRequestMessage(HttpMethod.Get, manifestUrl);
        poll.Headers.IfNoneMatch.Add(get.Headers.ETag!);
        var notModified = await client.SendAsync(poll);
        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, manifestUrl));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal($"\"{Convert.ToHexStringLower(SHA256.HashData(signed))}\"", get.Headers.ETag!.Tag);
        Assert.Null(server.Factory.ManifestVerifier.Verify(signed).Issue);
        Assert.Equal("application/pkcs7-mime", get.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal(signed.Length, head.Content.Headers.ContentLength);

        // A module is larger than a page: the middleware writes it in 64 KiB pieces, whichever pool Kestrel has.
        var module = FixtureFiles.Module("lp_sample.rsa2048-sha256.ko");
        var blob = await client.GetAsync($"/v1/blobs/sha256/{Convert.ToHexStringLower(SHA256.HashData(module))}");
        Assert.Equal(module, await blob.Content.ReadAsByteArrayAsync());
        // Only the registration is checked here: WebApplicationFactory's UseKestrel registers Kestrel's own factory again after
        // the server's (WarmBlockPoolTests checks which one the server's own host resolves).
        Assert.Equal(warmPool, server.Factory.Services.GetServices<IMemoryPoolFactory<byte>>().Any(f => f is WarmBlockPoolFactory));
    }

    [Theory]
    [InlineData("tuned", "simple")]
    [InlineData("simple", "tuned")]
    public async Task Restart_OtherDesignOnTheSameData_ServesTheSameBytesAndETag(string first, string then)
    {
        // What bench/run.sh READ_PATHS relies on: one data folder, served by either design in turn.
        var url = $"/v1/manifests/stable/{Fixtures.BuildId}";
        var data = Directory.CreateTempSubdirectory("lpatch-readpath-").FullName;
        try
        {
            byte[] before;
            string etag;
            using (var server = new LoopbackRepository(new() { [ReadPathSetting.Key] = first }, dataDirectory: data))
            {
                await server.PublishAsync();
                using var firstClient = server.Client();
                var response = await firstClient.GetAsync(url);
                (before, etag) = (await response.Content.ReadAsByteArrayAsync(), response.Headers.ETag!.Tag);
            }

            using var restarted = new LoopbackRepository(new() { [ReadPathSetting.Key] = then }, dataDirectory: data);
            using var client = restarted.Client();
            var after = await client.GetAsync(url);
            using var poll = new HttpRequestMessage(HttpMethod.Get, url);
            poll.Headers.TryAddWithoutValidation("If-None-Match", etag);

            Assert.Equal(before, await after.Content.ReadAsByteArrayAsync());
            Assert.Equal(etag, after.Headers.ETag!.Tag);
            Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(poll)).StatusCode);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData(null, ReadPathDesign.Tuned)]
    [InlineData("", ReadPathDesign.Tuned)]
    [InlineData("Tuned", ReadPathDesign.Tuned)]
    [InlineData("simple", ReadPathDesign.Simple)]
    [InlineData("simpler", null)]
    [InlineData(" simple", null)]
    public void ParseOrNull_Value_TheDesignOrNull(string? value, ReadPathDesign? expected) =>
        Assert.Equal(expected, ReadPathSetting.ParseOrNull(value));
}
