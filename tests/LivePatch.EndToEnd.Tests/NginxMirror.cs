using System.Diagnostics;

namespace LivePatch.EndToEnd.Tests;

/// <summary>Debian's nginx serving a tree with samples/nginx-mirror.conf (its port and root replaced), on a free loopback
/// port, with a minimal main configuration of its own around it.</summary>
internal sealed class NginxMirror : IDisposable
{
    private readonly Process _process;

    private NginxMirror(Process process, string url, string prefix)
    {
        _process = process;
        Url = url;
        Prefix = prefix;
    }

    public string Url { get; }

    public string Prefix { get; }

    /// <summary>Starts nginx over <paramref name="tree"/> with its files under <paramref name="prefix"/>; returns once it answers.</summary>
    public static async Task<NginxMirror> StartAsync(string tree, string prefix)
    {
        var port = LoopbackPorts.Free();
        Directory.CreateDirectory(prefix);
        var sample = File.ReadAllText(Path.Combine(Binaries.RepositoryRoot, "samples", "nginx-mirror.conf"));
        var site = sample.Replace("listen 80;", $"listen 127.0.0.1:{port};", StringComparison.Ordinal)
            .Replace("root /srv/lpatch-mirror;", $"root {tree};", StringComparison.Ordinal);
        Assert.NotEqual(sample, site);
        Assert.Contains($"root {tree};", site);
        File.WriteAllText(Path.Combine(prefix, "site.conf"), site);
        var conf = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(conf, $$"""
            daemon off;
            worker_processes 1;
            error_log {{prefix}}/error.log;
            pid {{prefix}}/nginx.pid;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path {{prefix}}/body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                include {{prefix}}/site.conf;
            }
            """);
        var nginx = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        // Nothing redirected: a pipe nobody reads would block nginx once full. Errors go to error.log.
        var process = Process.Start(new ProcessStartInfo(nginx, ["-p", prefix, "-c", conf]))!;
        var mirror = new NginxMirror(process, $"http://127.0.0.1:{port}", prefix);
        try
        {
            await mirror.WaitUntilListeningAsync();
            return mirror;
        }
        catch
        {
            mirror.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private async Task WaitUntilListeningAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var i = 0; i < 100; i++)
        {
            try
            {
                await http.GetAsync($"{Url}/v1/index");
                return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            var log = Path.Combine(Prefix, "error.log");
            Assert.False(_process.HasExited, $"nginx exited: {(File.Exists(log) ? File.ReadAllText(log) : "")}");
            await Task.Delay(100);
        }

        throw new TimeoutException("nginx did not answer within 10 s");
    }
}
