using System.Net;
using System.Security.Cryptography;
using static LivePatch.EndToEnd.Tests.MirrorFixture;

namespace LivePatch.EndToEnd.Tests;

/// <summary>The S3 round trip (docs/mirrors.md, "Object storage"): a real <c>lpatch mirror sync --to s3://BUCKET/PREFIX</c>
/// from a real server into s3rver on loopback, read back by real hosts through the bucket's plain HTTP endpoint
/// (<c>http://127.0.0.1:PORT/BUCKET/PREFIX</c>); incremental and pruning syncs; and a tampered upstream refused with the
/// bucket left as it was.</summary>
public sealed class S3MirrorEndToEndTests : IDisposable
{
    private const string Bucket = "lp-mirror";
    private const string Prefix = "livepatch";
    private const string Target = $"s3://{Bucket}/{Prefix}";

    private readonly MirrorFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task SyncToS3_HostsReadTheBucket_NotCoveredThenAppliedThenIncrementalThenPrunedThenRevokedRemoved()
    {
        await _fixture.Server.StartAsync();
        await using var s3 = await S3rverProcess.StartAsync(Bucket);
        var aws = AwsEnvironment(s3);
        // The neighbour gets the module gzipped: a blob of its own, which the prune below can show going.
        const string Gzipped = Module + ".gz";
        var neighbourPatch = _fixture.PublishFile(Gzipped, Neighbour);
        var gzippedBlob = $"{Prefix}/v1/blobs/sha256/{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(FixtureFiles.PathOf("modules", Gzipped))))}";
        var first = _fixture.SyncWith(aws, Target);
        Assert.True(first.Exit == 0, first.ToString());
        Assert.Contains("(new copy)", first.Output);

        var stage = Path.Combine(_fixture.Root, "stage");
        var config = HostConfig.Write(_fixture.Root, [s3.ObjectUrl(Prefix).ToString()], _fixture.Server.Keys("root.pem"),
            new { kind = "stage", stageDirectory = stage });

        // The host's kernel has no patch: s3rver answers its manifest with a bare 404, and the signed bin (which lists only
        // the neighbour) proves "not covered".
        using (var http = new HttpClient())
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(s3.ObjectUrl($"{Prefix}/v1/manifests/stable/{BuildId}"))).StatusCode);
        }

        var notCovered = Lpatch.Run("apply", "--config", config);
        Assert.True(notCovered.Exit == 0, notCovered.ToString());
        Assert.Contains("not-covered", notCovered.Output);
        Assert.False(Directory.Exists(stage) && Directory.EnumerateFiles(stage).Any());

        // A second kernel published: only the index, the one bin both kernels fall in, the new manifest and its blob are sent.
        var patch = _fixture.Publish(BuildId);
        var second = _fixture.SyncWith(aws, Target);
        Assert.True(second.Exit == 0, second.ToString());
        Assert.Contains("copied 4 files", second.Output);
        Assert.Contains("(index 1, bins 1, manifests 1, blobs 1)", second.Output);
        var applied = Lpatch.Run("apply", "--config", config);
        Assert.True(applied.Exit == 0, applied.ToString());
        Assert.Equal(File.ReadAllBytes(FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko")), File.ReadAllBytes(Path.Combine(stage, "lp_sample.ko")));

        // The neighbour's patch deleted upstream: the server keeps the kernel's manifest (re-signed, listing no patch: its bin
        // still names it), so the sync copies that manifest, and --prune removes the blob no manifest names any more.
        Assert.Contains(gzippedBlob, (await s3.ObjectsAsync($"{Prefix}/")).Keys);
        _fixture.Delete(neighbourPatch);
        var pruned = _fixture.SyncWith(aws, Target, null, "--prune");
        Assert.True(pruned.Exit == 0, pruned.ToString());
        Assert.True(pruned.Output.Contains("(index 1, bins 1, manifests 1, blobs 0)", StringComparison.Ordinal)
            && pruned.Output.Contains("deleted 1;", StringComparison.Ordinal), pruned.ToString());
        var objects = await s3.ObjectsAsync($"{Prefix}/");
        Assert.DoesNotContain(gzippedBlob, objects.Keys);
        Assert.Contains($"{Prefix}/v1/manifests/stable/{Neighbour}", objects.Keys);
        Assert.Single(objects.Keys, key => key.StartsWith($"{Prefix}/v1/blobs/sha256/", StringComparison.Ordinal));
        Assert.Equal(0, Lpatch.Run("check", "--config", config).Exit); // the host's patch and its blob are still there

        // Revoked upstream: the next sync writes the manifest that revokes it, and the host reading the bucket removes it.
        _fixture.Revoke(patch, "breaks NFS");
        Assert.Equal(0, _fixture.SyncWith(aws, Target).Exit);
        var removed = Lpatch.Run("apply", "--config", config);
        Assert.True(removed.Exit == 0, removed.ToString());
        Assert.Contains("breaks NFS", removed.Output);
        Assert.False(File.Exists(Path.Combine(stage, "lp_sample.ko")));
    }

    [Fact]
    public async Task SyncToS3_TamperedFolderSource_RefusedAndBucketUnchanged()
    {
        await _fixture.Server.StartAsync();
        await using var s3 = await S3rverProcess.StartAsync(Bucket);
        var aws = AwsEnvironment(s3);
        _fixture.Publish(Neighbour);
        var upstream = Path.Combine(_fixture.Root, "upstream");
        Assert.Equal(0, _fixture.Sync(upstream).Exit);
        var copied = _fixture.SyncWith(aws, Target, from: upstream);
        Assert.True(copied.Exit == 0, copied.ToString());
        _fixture.Publish(BuildId);
        Assert.Equal(0, _fixture.Sync(upstream).Exit);
        var manifest = Path.Combine(upstream, "v1", "manifests", "stable", BuildId);
        var bytes = File.ReadAllBytes(manifest);
        bytes[^20] ^= 1;
        File.WriteAllBytes(manifest, bytes);
        var before = await s3.ObjectsAsync($"{Prefix}/");

        var run = _fixture.SyncWith(aws, Target, from: upstream);

        Assert.Equal(1, run.Exit);
        Assert.Contains("lpatch: error [mirror-document-mismatch]", run.Error);
        Assert.Contains($"v1/manifests/stable/{BuildId}", run.Error);
        var after = await s3.ObjectsAsync($"{Prefix}/");
        Assert.Equal(before.Keys, after.Keys);
        Assert.All(before, entry => Assert.Equal(entry.Value, after[entry.Key]));
    }

    [Fact]
    public async Task SyncToS3_UnknownAccessKeyOrMissingBucket_S3CodeAndExit2()
    {
        await _fixture.Server.StartAsync();
        await using var s3 = await S3rverProcess.StartAsync(Bucket);
        _fixture.Publish(BuildId);
        var wrongKey = new Dictionary<string, string>(AwsEnvironment(s3)) { ["AWS_ACCESS_KEY_ID"] = "AKIAUNKNOWN" };

        var refused = _fixture.SyncWith(wrongKey, Target);
        var missing = _fixture.SyncWith(AwsEnvironment(s3), $"s3://no-such-bucket/{Prefix}");

        // The store's own answer reaches the operator with its code and exit 2 (fix the settings), not as a failed target.
        Assert.True(refused.Exit == 2, refused.ToString());
        Assert.Contains("lpatch: error [s3-credentials-rejected]", refused.Error);
        Assert.True(missing.Exit == 2, missing.ToString());
        Assert.Contains("lpatch: error [s3-bucket-missing]", missing.Error);
        Assert.Empty(await s3.ObjectsAsync($"{Prefix}/"));
    }

    [Fact]
    public async Task SyncToS3_ProfileThatDoesNotExist_CredentialsRejectedExit2()
    {
        await _fixture.Server.StartAsync();
        await using var s3 = await S3rverProcess.StartAsync(Bucket);
        _fixture.Publish(BuildId);
        var environment = new Dictionary<string, string>(AwsEnvironment(s3))
        {
            ["AWS_ACCESS_KEY_ID"] = "",
            ["AWS_SECRET_ACCESS_KEY"] = "",
            ["AWS_PROFILE"] = "mirror-writer",
            ["AWS_CONFIG_FILE"] = Path.Combine(_fixture.Root, "no-aws-config"),
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_fixture.Root, "no-aws-credentials"),
        };

        var run = _fixture.SyncWith(environment, Target);

        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains("lpatch: error [s3-credentials-rejected]", run.Error);
        Assert.Contains("mirror-writer", run.Error);
        Assert.DoesNotContain("internal", run.Error);
    }

    [Fact]
    public async Task SyncToS3_NoRegionAndNoEndpoint_RegionMissingExit2()
    {
        await _fixture.Server.StartAsync(); // its root is what --root names
        var environment = new Dictionary<string, string>
        {
            ["AWS_REGION"] = "",
            ["AWS_DEFAULT_REGION"] = "",
            ["AWS_ENDPOINT_URL_S3"] = "",
            ["AWS_ENDPOINT_URL"] = "",
            ["AWS_ACCESS_KEY_ID"] = S3rverProcess.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = S3rverProcess.SecretAccessKey,
            ["AWS_CONFIG_FILE"] = Path.Combine(_fixture.Root, "no-aws-config"),
            ["AWS_EC2_METADATA_DISABLED"] = "true", // no instance metadata to ask on a test machine
        };

        var run = _fixture.SyncWith(environment, Target);

        Assert.True(run.Exit == 2, run.ToString());
        Assert.Contains("lpatch: error [s3-region-missing]", run.Error);
        Assert.Contains("AWS_REGION", run.Error);
    }

    /// <summary>What an operator exports for an S3-compatible store: its endpoint (path-style), the key pair it knows, a region.</summary>
    private static Dictionary<string, string> AwsEnvironment(S3rverProcess s3) => new()
    {
        ["AWS_ENDPOINT_URL_S3"] = s3.Endpoint.ToString(),
        ["AWS_ACCESS_KEY_ID"] = S3rverProcess.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = S3rverProcess.SecretAccessKey,
        ["AWS_REGION"] = "us-east-1",
    };
}
