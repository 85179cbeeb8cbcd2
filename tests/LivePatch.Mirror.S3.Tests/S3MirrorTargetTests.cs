using System.Net;
using System.Text;
using Amazon.Runtime;
using LivePatch.Core;
using LivePatch.Core.Mirrors;

namespace LivePatch.Mirror.S3.Tests;

/// <summary>The target against a real S3-compatible server (s3rver on loopback), and what a host reads back over plain HTTP.</summary>
public sealed class S3MirrorTargetTests(S3rverFixture s3) : IClassFixture<S3rverFixture>
{
    private const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9";
    private static readonly string Manifest = MirrorTree.ManifestPath("stable", BuildId);
    private static readonly string Blob = MirrorTree.BlobPath(new string('b', 64));
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task WriteReadSizeDeleteList_RoundTrip()
    {
        using var target = s3.Target(out _);
        var bytes = Encoding.ASCII.GetBytes("signed manifest bytes");

        await target.WriteAsync(Manifest, new MemoryStream(bytes), bytes.Length, None);
        await target.WriteAsync(Blob, new MemoryStream([1, 2, 3]), 3, None);

        Assert.Equal(bytes, await target.ReadOrNullAsync(Manifest, 1024, None));
        Assert.Equal(bytes.Length, await target.SizeOrNullAsync(Manifest, None));
        Assert.Equal([Blob, Manifest], (await ListAsync(target, "v1/")).Order(StringComparer.Ordinal));
        Assert.Equal([Blob], await ListAsync(target, "v1/blobs/"));

        await target.DeleteAsync(Manifest, None);

        Assert.Null(await target.ReadOrNullAsync(Manifest, 1024, None));
        Assert.Null(await target.SizeOrNullAsync(Manifest, None));
        Assert.Equal([Blob], await ListAsync(target, "v1/"));
    }

    [Fact]
    public async Task WriteAsync_Twice_ReplacesTheObject()
    {
        using var target = s3.Target(out _);

        await target.WriteAsync(MirrorTree.IndexPath, new MemoryStream([1, 1, 1, 1]), 4, None);
        await target.WriteAsync(MirrorTree.IndexPath, new MemoryStream([2, 2]), 2, None);

        Assert.Equal([2, 2], await target.ReadOrNullAsync(MirrorTree.IndexPath, 100, None));
    }

    [Fact]
    public async Task WriteAsync_UnseekableStreamLongerThanLength_StoresExactlyLengthBytes()
    {
        using var target = s3.Target(out _);
        using var content = new UnseekableStream(new byte[] { 1, 2, 3, 4, 5, 6 });

        await target.WriteAsync(Blob, content, 4, None);

        Assert.Equal([1, 2, 3, 4], await target.ReadOrNullAsync(Blob, 100, None));
    }

    [Fact]
    public async Task WriteAsync_Document_PlainGetAnswersWithTheServersHeaders()
    {
        using var target = s3.Target(out var prefix);
        var bytes = Encoding.ASCII.GetBytes("manifest");
        await target.WriteAsync(Manifest, new MemoryStream(bytes), bytes.Length, None);

        // What a host configured with http://127.0.0.1:PORT/BUCKET/PREFIX fetches: path-style, unsigned.
        using var http = new HttpClient();
        using var answer = await http.GetAsync(s3.Server.ObjectUrl($"{prefix}/v1/manifests/stable/{BuildId}"));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(bytes, await answer.Content.ReadAsByteArrayAsync());
        Assert.Equal(TreeHeaders.SignedDocumentContentType, answer.Content.Headers.ContentType?.ToString());
        Assert.Equal(TreeHeaders.SignedDocumentCacheControl, CacheControl(answer));
    }

    [Fact]
    public async Task WriteAsync_Blob_PlainGetAnswersOctetStreamImmutable()
    {
        using var target = s3.Target(out var prefix);
        await target.WriteAsync(Blob, new MemoryStream([7, 7]), 2, None);

        using var http = new HttpClient();
        using var answer = await http.GetAsync(s3.Server.ObjectUrl($"{prefix}/{Blob}"));

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(TreeHeaders.BlobContentType, answer.Content.Headers.ContentType?.ToString());
        Assert.Equal(TreeHeaders.BlobCacheControl, CacheControl(answer));
    }

    [Fact]
    public async Task PlainGet_MissingManifest_Answers404()
    {
        // A host's manifest lookup falls back to the coverage bin on 404: the bucket must answer exactly that.
        using var target = s3.Target(out var prefix);
        await target.WriteAsync(MirrorTree.IndexPath, new MemoryStream([1]), 1, None);

        using var http = new HttpClient();
        using var answer = await http.GetAsync(s3.Server.ObjectUrl($"{prefix}/v1/manifests/stable/{BuildId}"));

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }

    [Fact]
    public async Task ReadOrNullAsync_ObjectOverTheLimit_ThrowsTooLarge()
    {
        using var target = s3.Target(out _);
        await target.WriteAsync(Blob, new MemoryStream(new byte[101]), 101, None);

        var error = await Assert.ThrowsAsync<MirrorSourceTooLargeException>(() => target.ReadOrNullAsync(Blob, 100, None));

        Assert.Equal(Blob, error.Path);
        Assert.Equal(100, error.MaxBytes);
        Assert.Equal(101, (await target.ReadOrNullAsync(Blob, 101, None))!.Length);
    }

    [Fact]
    public async Task ReadOrNullAsync_MissingKey_Null()
    {
        using var target = s3.Target(out _);

        Assert.Null(await target.ReadOrNullAsync(Manifest, 100, None));
        Assert.Null(await target.SizeOrNullAsync(Manifest, None));
        Assert.Empty(await ListAsync(target, "v1/"));
    }

    [Fact]
    public async Task DeleteAsync_MissingKey_IsNotAnError()
    {
        using var target = s3.Target(out _);

        await target.DeleteAsync(Manifest, None);
    }

    [Fact]
    public async Task ListAsync_MorePagesThanOne_ListsEveryKey()
    {
        using var target = s3.Target(out _, pageSize: 2);
        var paths = Enumerable.Range(0, 5).Select(i => MirrorTree.BlobPath($"{i:x64}")).ToList();
        foreach (var path in paths)
        {
            await target.WriteAsync(path, new MemoryStream([0]), 1, None);
        }

        Assert.Equal(paths, (await ListAsync(target, "v1/blobs/")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ReadOrNullAsync_MissingBucket_ThrowsBucketMissing()
    {
        using var target = S3MirrorTarget.Create("s3://no-such-bucket/lp", s3.Settings);

        var error = await Assert.ThrowsAsync<S3MirrorException>(() => target.ReadOrNullAsync(Manifest, 100, None));

        Assert.Same(ErrorCodes.S3BucketMissing, error.Error);
        Assert.Contains("s3://no-such-bucket/lp/v1/manifests/stable/", error.Message);
    }

    [Fact]
    public async Task WriteAsync_UnknownAccessKey_ThrowsCredentialsRejected()
    {
        // s3rver checks the access key ID only (not SigV4 signatures), so the unknown key stands for any refused credential.
        var settings = s3.Settings with { Credentials = new BasicAWSCredentials("AKIAUNKNOWN", S3rverProcess.SecretAccessKey) };
        using var target = S3MirrorTarget.Create($"s3://{S3rverFixture.Bucket}/lp", settings);

        var error = await Assert.ThrowsAsync<S3MirrorException>(() => target.WriteAsync(Blob, new MemoryStream([1]), 1, None));

        Assert.Same(ErrorCodes.S3CredentialsRejected, error.Error);
        Assert.Contains("InvalidAccessKeyId", error.Message);
    }

    [Fact]
    public async Task WriteAsync_NothingListening_ThrowsUnreachable()
    {
        var settings = s3.Settings with { Endpoint = LoopbackPorts.RefusingUrl() };
        using var target = S3MirrorTarget.Create($"s3://{S3rverFixture.Bucket}/lp", settings);

        var error = await Assert.ThrowsAsync<S3MirrorException>(() => target.WriteAsync(Blob, new MemoryStream([1]), 1, None));

        Assert.Same(ErrorCodes.S3Unreachable, error.Error);
        Assert.Equal(ErrorCategory.Unreachable, error.Error.Category);
        Assert.StartsWith($"PUT s3://{S3rverFixture.Bucket}/lp/{Blob}: the store could not be reached", error.Message);
    }

    [Fact]
    public void Create_BadUrl_ThrowsS3UrlInvalid()
    {
        var error = Assert.Throws<LivePatchFormatException>(() => S3MirrorTarget.Create("s3://Bad_Bucket/lp", s3.Settings));

        Assert.Same(ErrorCodes.S3UrlInvalid, error.Error);
    }

    [Fact]
    public void Description_IsTheNormalisedUrl()
    {
        using var target = S3MirrorTarget.Create("s3://lpatch-mirror//lp/prod/", s3.Settings);

        Assert.Equal("s3://lpatch-mirror/lp/prod", target.Description);
    }

    private static async Task<List<string>> ListAsync(IMirrorTarget target, string prefix)
    {
        var paths = new List<string>();
        await foreach (var path in target.ListAsync(prefix, None))
        {
            paths.Add(path);
        }

        return paths;
    }

    /// <summary>The header as sent (HttpClient's parsed CacheControlHeaderValue reorders the directives).</summary>
    private static string CacheControl(HttpResponseMessage answer) =>
        string.Join(", ", answer.Headers.NonValidated["Cache-Control"]);

    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
