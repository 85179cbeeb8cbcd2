using System.Diagnostics;
using System.Text.Json;

namespace LivePatch.EndToEnd.Tests;

/// <summary>A host behind a static mirror (Debian's nginx over a copy of the read tree, no server of ours): a verified
/// "not covered" for a kernel with no patch, an apply for one with a patch, and a refusal when the mirror withholds a
/// manifest its signed coverage bin names.</summary>
public sealed class StaticMirrorTests : IDisposable
{
    private const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9"; // of fixtures/notes/sys-kernel-notes.bin
    private const string Neighbour = "4a00000000000000000000000000000000000001"; // same bin, another kernel
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-mirror-e2e-").FullName;
    private readonly string _tree;
    private readonly ServerProcess _server;
    private Process? _nginx;

    public StaticMirrorTests()
    {
        // nginx's workers run as an unprivileged user when started by root: they must be able to read the tree.
        File.SetUnixFileMode(_root, (UnixFileMode)0b111_101_101);
        _tree = Directory.CreateDirectory(Path.Combine(_root, "tree")).FullName;
        _server = new ServerProcess(Path.Combine(_root, "server"), new Dictionary<string, string>
        {
            ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
        });
    }

    public void Dispose()
    {
        if (_nginx is { HasExited: false })
        {
            _nginx.Kill(entireProcessTree: true);
            _nginx.WaitForExit(10_000);
        }

        _nginx?.Dispose();
        _server.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task HostBehindNginx_NotCoveredThenAppliedThenWithheldRefused()
    {
        await _server.StartAsync();
        Publish(Neighbour);
        await CopyTreeAsync();
        var mirror = await StartNginxAsync();
        var stage = Path.Combine(_root, "stage");
        var config = WriteConfig(mirror, stage);

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
        Assert.Contains("not-covered", Lpatch.Run("status", "--config", config, "--json").Output);

        // Now it is covered: the same mirror, synced again, serves the patch.
        Publish(BuildId);
        await CopyTreeAsync();
        var applied = Lpatch.Run("apply", "--config", config);
        Assert.True(applied.Exit == 0, applied.ToString());
        Assert.Equal(File.ReadAllBytes(FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko")), File.ReadAllBytes(Path.Combine(stage, "lp_sample.ko")));

        // The mirror hides the manifest its bin names: refused as withheld, exit 1, nothing changed.
        File.Delete(Path.Combine(_tree, "v1", "manifests", "stable", BuildId));
        var withheld = Lpatch.Run("check", "--config", config);
        Assert.Equal(1, withheld.Exit);
        Assert.Contains("manifest-withheld", withheld.Output + withheld.Error);
        Assert.True(File.Exists(Path.Combine(stage, "lp_sample.ko")));
    }

    private void Publish(string buildId)
    {
        var env = new Dictionary<string, string> { ["LPATCH_SERVER"] = _server.Url, ["LPATCH_API_KEY"] = _server.AdminKey };
        var run = Lpatch.Run(env, "publish", FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"), "--build-id", buildId);
        Assert.True(run.Exit == 0, run.ToString());
    }

    private async Task CopyTreeAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_server.Url) };
        await ReadTreeCopy.CopyAsync(http, _tree, new Core.Trust.TrustPolicy { Roots = Core.Trust.TrustPolicy.LoadRoots([_server.Keys("root.pem")]) });
    }

    /// <summary>Debian's nginx on a free loopback port, serving the tree as files; returns its URL.</summary>
    private async Task<string> StartNginxAsync()
    {
        var port = LoopbackPorts.Free();
        var prefix = Directory.CreateDirectory(Path.Combine(_root, "nginx")).FullName;
        var conf = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(conf, $$"""
            daemon off;
            worker_processes 1;
            error_log {{prefix}}/error.log;
            pid {{prefix}}/nginx.pid;
            events { worker_connections 64; }
            http {
                access_log off;
                log_not_found off;
                client_body_temp_path {{prefix}}/body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                default_type application/octet-stream;
                server {
                    listen 127.0.0.1:{{port}};
                    root {{_tree}};
                }
            }
            """);
        var nginx = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        // Nothing redirected: a pipe nobody reads would block nginx once full.
        _nginx = Process.Start(new ProcessStartInfo(nginx, ["-p", prefix, "-c", conf]))!;
        var url = $"http://127.0.0.1:{port}";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var i = 0; i < 100; i++)
        {
            try
            {
                if ((await http.GetAsync($"{url}/v1/index")).IsSuccessStatusCode)
                {
                    return url;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            Assert.False(_nginx.HasExited, $"nginx exited: {(File.Exists(Path.Combine(prefix, "error.log")) ? File.ReadAllText(Path.Combine(prefix, "error.log")) : "")}");
            await Task.Delay(100);
        }

        throw new TimeoutException("nginx did not answer within 10 s");
    }

    private string WriteConfig(string mirror, string stage) =>
        HostConfig.Write(_root, [mirror], _server.Keys("root.pem"), new { kind = "stage", stageDirectory = stage });
}
