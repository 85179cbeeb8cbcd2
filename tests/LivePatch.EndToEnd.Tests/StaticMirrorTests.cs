using System.Text.Json;
using static LivePatch.EndToEnd.Tests.MirrorFixture;

namespace LivePatch.EndToEnd.Tests;

/// <summary>A host behind a static mirror (Debian's nginx with samples/nginx-mirror.conf over a tree written by
/// <c>lpatch mirror sync</c>, no server of ours): a verified "not covered" for a kernel with no patch, an apply for one with
/// a patch, a refusal when the mirror withholds a manifest its signed coverage bin names, and the patch removed once a sync
/// brings the manifest that revokes it.</summary>
public sealed class StaticMirrorTests : IDisposable
{
    private readonly MirrorFixture _fixture = new();
    private readonly string _tree;

    public StaticMirrorTests() => _tree = Path.Combine(_fixture.Root, "tree");

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task HostBehindNginx_NotCoveredThenAppliedThenWithheldRefusedThenRevokedRemoved()
    {
        await _fixture.Server.StartAsync();
        _fixture.Publish(Neighbour);
        Synced();
        using var nginx = await NginxMirror.StartAsync(_tree, Path.Combine(_fixture.Root, "nginx"));
        var stage = Path.Combine(_fixture.Root, "stage");
        var config = HostConfig.Write(_fixture.Root, [nginx.Url], _fixture.Server.Keys("root.pem"), new { kind = "stage", stageDirectory = stage });

        // The host's kernel has no patch: the mirror answers 404 and the signed bin (which lists the neighbour) proves it.
        var check = Lpatch.Run("check", "--config", config, "--json");
        Assert.True(check.Exit == 0, check.ToString());
        using (var json = JsonDocument.Parse(check.Output))
        {
            Assert.Equal("not-covered", json.RootElement.GetProperty("action").GetString());
        }

        var apply = Lpatch.Run("apply", "--config", config);
        Assert.True(apply.Exit == 0, apply.ToString());
        Assert.Contains("not-covered", apply.Output);
        Assert.False(Directory.Exists(stage) && Directory.EnumerateFiles(stage).Any());

        // Now it is covered: the same mirror, synced again (only what changed), serves the patch.
        var patch = _fixture.Publish(BuildId);
        Assert.Contains("manifests 1, blobs 0", Synced());
        var applied = Lpatch.Run("apply", "--config", config);
        Assert.True(applied.Exit == 0, applied.ToString());
        Assert.Equal(File.ReadAllBytes(FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko")), File.ReadAllBytes(Path.Combine(stage, "lp_sample.ko")));

        // The mirror hides the manifest its bin names: refused as withheld, exit 1, nothing changed.
        File.Delete(Path.Combine(_tree, "v1", "manifests", "stable", BuildId));
        var withheld = Lpatch.Run("check", "--config", config);
        Assert.Equal(1, withheld.Exit);
        Assert.Contains("manifest-withheld", withheld.Output + withheld.Error);
        Assert.True(File.Exists(Path.Combine(stage, "lp_sample.ko")));

        // Revoked upstream: the next sync brings the re-signed bin and the manifest that revokes it; the host removes it.
        _fixture.Revoke(patch, "breaks NFS");
        Synced();
        var removed = Lpatch.Run("apply", "--config", config);
        Assert.True(removed.Exit == 0, removed.ToString());
        Assert.Contains("breaks NFS", removed.Output);
        Assert.False(File.Exists(Path.Combine(stage, "lp_sample.ko")));
    }

    [Fact]
    public async Task Nginx_SampleConfiguration_SendsTheServersHeadersAndNothingElse()
    {
        await _fixture.Server.StartAsync();
        _fixture.Publish(BuildId);
        Synced();
        using var nginx = await NginxMirror.StartAsync(_tree, Path.Combine(_fixture.Root, "nginx"));
        using var http = new HttpClient();
        var sha256 = Directory.EnumerateFiles(Path.Combine(_tree, "v1", "blobs", "sha256")).Select(Path.GetFileName).Single();

        foreach (var path in new[] { "v1/index", "v1/coverage/stable/4a", $"v1/manifests/stable/{BuildId}" })
        {
            using var document = await http.GetAsync($"{nginx.Url}/{path}");
            Assert.Equal(200, (int)document.StatusCode);
            Assert.Equal("application/pkcs7-mime; smime-type=signed-data", document.Content.Headers.ContentType?.ToString());
            Assert.Equal("public, max-age=60, must-revalidate", document.Headers.NonValidated["Cache-Control"].ToString());
            Assert.NotNull(document.Headers.ETag);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{nginx.Url}/v1/blobs/sha256/{sha256}");
        request.Headers.Range = new(10, null);
        using var blob = await http.SendAsync(request);
        Assert.Equal(206, (int)blob.StatusCode);
        Assert.Equal("application/octet-stream", blob.Content.Headers.ContentType?.ToString());
        Assert.Equal("public, max-age=31536000, immutable", blob.Headers.NonValidated["Cache-Control"].ToString());

        File.WriteAllText(Path.Combine(_tree, "v1", "manifests", "stable", $".{BuildId}.tmp"), "partial");
        foreach (var path in new[] { $"v1/manifests/stable/.{BuildId}.tmp", "v1/", "client.json", "v1/manifests/stable/0000000000000000" })
        {
            Assert.Equal(404, (int)(await http.GetAsync($"{nginx.Url}/{path}")).StatusCode);
        }
    }

    private string Synced()
    {
        var run = _fixture.Sync(_tree);
        Assert.True(run.Exit == 0, run.ToString());
        return run.Output;
    }
}
