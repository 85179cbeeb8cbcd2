using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Xunit.Abstractions;

namespace LivePatch.EndToEnd.Tests;

/// <summary>
/// The server answers the read path on the socket's event thread (inline socket I/O, the default). These tests run it
/// with a single event thread, so anything slow that ran there would stall every other connection; and once more
/// with <c>LivePatch:InlineSocketIo=false</c>, ASP.NET Core's default scheduling.
/// </summary>
public sealed class ReadPathIsolationTests : IDisposable
{
    private const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9";
    private const int KernelsInSlowPublish = 10_000; // the most one request takes
    private const int MaxSlowPublishes = 16; // at most 160,000 kernels: a bound, should publishing ever get that fast
    private readonly ITestOutputHelper _output;
    private readonly string _data = Directory.CreateTempSubdirectory("lpatch-e2e-").FullName;
    private ServerProcess? _server;

    public ReadPathIsolationTests(ITestOutputHelper output)
    {
        _output = output;
        // This test process reads the server's stdout and stderr with blocking reads on two thread-pool threads; on
        // two cores that is the whole minimum, and a poll's continuation could wait up to a second for the pool to
        // grow. That wait would be the test's, not the server's.
        ThreadPool.GetMinThreads(out var workers, out var completions);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), completions);
    }

    public void Dispose()
    {
        _server?.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task ManifestGets_AreAnswered_WhileAPublishSignsThousandsOfManifests(string inlineSocketIo)
    {
        _server = new ServerProcess(_data, new Dictionary<string, string>
        {
            ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
            ["LivePatch__InlineSocketIo"] = inlineSocketIo,
            ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = "1",
        });
        await _server.StartAsync();
        using var writer = new HttpClient { BaseAddress = new Uri(_server.Url), Timeout = TimeSpan.FromMinutes(5) };
        writer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _server.AdminKey);
        var module = await File.ReadAllBytesAsync(FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"));
        Assert.Equal(HttpStatusCode.Created, (await writer.PostAsync("/v1/patches", PublishForm.Create(module, [BuildId]))).StatusCode);

        // Publishes for many kernels (a LiteDB transaction and a signed manifest per kernel), one after another until
        // they have run for a second: one request of the most kernels it may take no longer lasts that long on every
        // machine. Meanwhile, a host polls the manifest published above, on its own connection. Both run on the thread
        // pool, outside xUnit's synchronization context, whose few threads would otherwise add their own waits.
        var publishing = Stopwatch.StartNew();
        var publish = Task.Run(async () =>
        {
            var requests = new List<TimeSpan>();
            while (publishing.Elapsed < TimeSpan.FromSeconds(1) && requests.Count < MaxSlowPublishes)
            {
                var round = requests.Count;
                var kernels = Enumerable.Range(0, KernelsInSlowPublish).Select(i => $"{round:x2}{i:x6}{new string('b', 32)}").ToList();
                var request = Stopwatch.StartNew();
                using var published = await writer.PostAsync("/v1/patches", PublishForm.Create(module, kernels));
                Assert.True(published.StatusCode == HttpStatusCode.Created, await published.Content.ReadAsStringAsync());
                requests.Add(request.Elapsed);
            }

            return requests;
        });
        using var reader = new HttpClient { BaseAddress = new Uri(_server.Url), Timeout = TimeSpan.FromMinutes(5) };
        var (polls, slowest) = await Task.Run(async () =>
        {
            var count = 0;
            var longest = TimeSpan.Zero;
            while (!publish.IsCompleted)
            {
                var poll = Stopwatch.StartNew();
                using var response = await reader.GetAsync($"/v1/manifests/stable/{BuildId}");
                poll.Stop();
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                longest = poll.Elapsed > longest ? poll.Elapsed : longest;
                count++;
                await Task.Delay(20);
            }

            return (count, longest);
        });

        var requests = await publish;
        publishing.Stop();
        var longest = requests.Max();
        _output.WriteLine($"{requests.Count} publish(es) of {KernelsInSlowPublish} kernels: {publishing.Elapsed} in all, the longest {longest}; "
            + $"{polls} polls meanwhile, the slowest {slowest}");
        Assert.True(publishing.Elapsed > TimeSpan.FromSeconds(1), $"{MaxSlowPublishes} publishes took only {publishing.Elapsed}: make them bigger");
        Assert.True(polls >= 10, $"{polls} polls during publishes of {publishing.Elapsed}");
        // Had a publish run on the event thread, a poll sent during it would have waited for the rest of that publish: a
        // poll is sent every 20 ms or so, so one would have waited for most of the longest.
        Assert.True(slowest < longest / 4, $"a poll waited {slowest} during publishes of up to {longest}");
    }
}
