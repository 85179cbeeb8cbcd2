// Publishing driver for bench/publish.sh: single-kernel publishes over keep-alive HTTP, so that process start-up
// (one curl per publish) does not dominate what is measured.
//
//   dotnet run bench/publish-driver.cs -- BASE_URL KEY_FILE MODULE IDS_FILE CONCURRENCY WARMUP OUT_FILE
//
// Publishes MODULE once per line of IDS_FILE (one build ID each, one request each), from CONCURRENCY workers sharing
// one HttpClient (one keep-alive connection per worker). The first WARMUP IDs are published first, one at a time, and
// not timed (JIT on both sides, connection set-up). Every publish must answer 201; the first failure stops the run.
// Writes "PATCH_ID BUILD_ID" per publish to OUT_FILE and one line to stdout:
//   RESULT count=… concurrency=… seconds=… per_s=… p50_ms=… p90_ms=… p99_ms=… max_ms=…
// Loopback only: BASE_URL must be http://127.0.0.1:PORT.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

if (args.Length != 7)
{
    Console.Error.WriteLine("usage: publish-driver BASE_URL KEY_FILE MODULE IDS_FILE CONCURRENCY WARMUP OUT_FILE");
    return 2;
}

var baseUri = new Uri(args[0]);
if (!IPAddress.TryParse(baseUri.Host, out var address) || !IPAddress.IsLoopback(address))
{
    Console.Error.WriteLine($"publish-driver: {baseUri} is not a loopback address");
    return 2;
}

var key = File.ReadAllText(args[1]).Trim();
var module = File.ReadAllBytes(args[2]);
var ids = File.ReadAllLines(args[3]).Where(l => l.Length > 0).ToArray();
var concurrency = int.Parse(args[4], CultureInfo.InvariantCulture);
var warmup = int.Parse(args[5], CultureInfo.InvariantCulture);
if (concurrency < 1 || concurrency > 64 || warmup < 0 || warmup >= ids.Length)
{
    Console.Error.WriteLine("publish-driver: CONCURRENCY must be 1..64 and WARMUP less than the number of IDs");
    return 2;
}

using var handler = new SocketsHttpHandler
{
    MaxConnectionsPerServer = concurrency,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    UseProxy = false,
};
using var http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = TimeSpan.FromMinutes(2) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

var results = new (int PatchId, string BuildId, double Ms)[ids.Length];
for (var i = 0; i < warmup; i++)
{
    results[i] = await PublishAsync(ids[i]);
}

var next = warmup - 1;
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < ids.Length)
    {
        results[i] = await PublishAsync(ids[i]);
    }
})));
var seconds = clock.Elapsed.TotalSeconds;

await File.WriteAllLinesAsync(args[6], results.Select(r => $"{r.PatchId} {r.BuildId}"));
var timed = results.Skip(warmup).Select(r => r.Ms).Order().ToArray();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"RESULT count={timed.Length} concurrency={concurrency} warmup={warmup} seconds={seconds:F3} per_s={timed.Length / seconds:F1} " +
    $"p50_ms={Percentile(timed, 50):F2} p90_ms={Percentile(timed, 90):F2} p99_ms={Percentile(timed, 99):F2} max_ms={timed[^1]:F2}"));
return 0;

async Task<(int, string, double)> PublishAsync(string buildId)
{
    using var form = new MultipartFormDataContent();
    var file = new ByteArrayContent(module);
    file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
    form.Add(file, "module", "lp.ko");
    form.Add(new StringContent(buildId), "buildId");
    var started = Stopwatch.GetTimestamp();
    using var response = await http.PostAsync(new Uri("v1/patches", UriKind.Relative), form);
    var body = await response.Content.ReadAsStringAsync();
    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    if (response.StatusCode != HttpStatusCode.Created)
    {
        throw new InvalidOperationException($"publish for {buildId} answered {(int)response.StatusCode}: {body}");
    }

    using var json = JsonDocument.Parse(body);
    return (json.RootElement.GetProperty("id").GetInt32(), buildId, ms);
}

static double Percentile(double[] sorted, int p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
