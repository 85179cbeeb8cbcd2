using System.Diagnostics;
using System.Xml.Linq;

namespace LivePatch.Testing;

/// <summary>A real S3-compatible server for tests: s3rver (npm, installed by .ci/run into .ci/node) on a free loopback
/// port over a temp folder, with one bucket made at start; killed and its folder deleted on dispose.</summary>
/// <remarks>s3rver knows one key pair (<see cref="AccessKeyId"/>, <see cref="SecretAccessKey"/>): it refuses another access
/// key ID but does not check SigV4 signatures themselves. It answers unsigned GETs too, as a public bucket would.</remarks>
public sealed class S3rverProcess : IAsyncDisposable
{
    public const string AccessKeyId = "S3RVER";

    public const string SecretAccessKey = "S3RVER";

    /// <summary>Where .ci/run installs s3rver (<c>npm ci --prefix .ci/node</c>), relative to the repository root.</summary>
    public const string InstalledScript = ".ci/node/node_modules/s3rver/bin/s3rver.js";

    /// <summary>Overrides where s3rver.js is looked for.</summary>
    public const string ScriptVariable = "LIVEPATCH_S3RVER";

    private readonly Process _process;
    private readonly string _directory;

    private S3rverProcess(Process process, string directory, int port, string bucket)
    {
        _process = process;
        _directory = directory;
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        Bucket = bucket;
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:PORT/</c>; objects are at <c>ROOT/BUCKET/KEY</c> (path-style).</summary>
    public Uri Endpoint { get; }

    /// <summary>The bucket made at start.</summary>
    public string Bucket { get; }

    /// <summary>Starts s3rver with <paramref name="bucket"/> and returns once it serves that bucket.</summary>
    public static async Task<S3rverProcess> StartAsync(string bucket)
    {
        var script = FindScript();
        // A free port can be taken between LoopbackPorts.Free and s3rver's bind: try another one then.
        for (var attempt = 1; ; attempt++)
        {
            var directory = Directory.CreateTempSubdirectory("lpatch-s3rver-").FullName;
            var port = LoopbackPorts.Free();
            // Nothing redirected (a pipe nobody reads would block s3rver once full); --silent keeps the test output clean.
            // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider:
            // without it every truncated listing is a 500.
            var process = Process.Start(new ProcessStartInfo("node",
                ["--openssl-legacy-provider", script, "--directory", directory, "--address", "127.0.0.1", "--port", $"{port}", "--silent", "--configure-bucket", bucket]))
                ?? throw new InvalidOperationException("node did not start");
            var server = new S3rverProcess(process, directory, port, bucket);
            if (await server.WaitUntilServingAsync())
            {
                return server;
            }

            await server.DisposeAsync();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"s3rver ({script}) did not serve bucket '{bucket}' on 127.0.0.1 after {attempt} attempts");
            }
        }
    }

    /// <summary>The plain (unsigned) HTTP URL of an object: what a host configured with <c>ROOT/BUCKET/PREFIX</c> fetches.</summary>
    public Uri ObjectUrl(string key) => new(Endpoint, $"{Bucket}/{key}");

    /// <summary>Every object under <paramref name="prefix"/> with its bytes, read as an anonymous reader would (unsigned
    /// ListObjectsV2, page by page, then a GET of each key): what a test compares before and after a sync.</summary>
    public async Task<SortedDictionary<string, byte[]>> ObjectsAsync(string prefix)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var objects = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        string? token = null;
        do
        {
            var query = $"{Bucket}?list-type=2&prefix={Uri.EscapeDataString(prefix)}" + (token is null ? "" : $"&continuation-token={Uri.EscapeDataString(token)}");
            var listing = XDocument.Parse(await http.GetStringAsync(new Uri(Endpoint, query)));
            foreach (var key in listing.Descendants().Where(e => e.Name.LocalName == "Key").Select(e => e.Value))
            {
                objects[key] = await http.GetByteArrayAsync(ObjectUrl(key));
            }

            token = listing.Descendants().FirstOrDefault(e => e.Name.LocalName == "NextContinuationToken")?.Value;
        }
        while (token is { Length: > 0 });

        return objects;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>True once an unsigned listing of the bucket answers 200 (the bucket exists, the port is s3rver's);
    /// false when s3rver exited (its port taken) or did not answer within 20 s.</summary>
    private async Task<bool> WaitUntilServingAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 200 && !_process.HasExited; i++)
        {
            try
            {
                using var answer = await http.GetAsync(new Uri(Endpoint, $"{Bucket}?list-type=2&max-keys=1"));
                if (answer.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // no answer within the client's timeout: try again
            }

            await Task.Delay(100);
        }

        return false;
    }

    private static string FindScript()
    {
        if (Environment.GetEnvironmentVariable(ScriptVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : throw new InvalidOperationException($"{ScriptVariable}={configured}: no such file");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, InstalledScript);
            if (File.Exists(script))
            {
                return script;
            }
        }

        throw new InvalidOperationException(
            $"s3rver is not installed: run 'npm ci --prefix .ci/node' in the repository (as .ci/run does), or set {ScriptVariable}");
    }
}
