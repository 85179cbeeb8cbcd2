using System.Net.Http.Headers;

namespace LivePatch.Server.Tests;

/// <summary>A repository on a real Kestrel (127.0.0.1): the server as Prometheus, a proxy or a publisher meets it, with the
/// peer address a request really has.</summary>
internal sealed class LoopbackRepository : IDisposable
{
    /// <param name="dataDirectory">A data folder of the caller's, kept on dispose (for a restart on it); null: a temp folder of its own.</param>
    public LoopbackRepository(Dictionary<string, string?>? settings = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null,
        string? dataDirectory = null)
    {
        var all = new Dictionary<string, string?> { ["LivePatch:InlineSocketIo"] = "false" };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        Factory = new RepositoryFactory(all, dataDirectory) { TestServices = services, DeleteDataOnDispose = dataDirectory is null };
        Url = Factory.StartOnLoopback();
    }

    public RepositoryFactory Factory { get; }

    public Uri Url { get; }

    /// <summary>An HTTP client to the server, with <paramref name="apiKey"/> as its bearer key when given.</summary>
    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = Url };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    /// <summary>Publishes the fixture module for the fixture kernel with the admin key; returns the patch id.</summary>
    public async Task<int> PublishAsync(string fixture = "lp_sample.rsa2048-sha256.ko")
    {
        using var admin = Client(Factory.AdminKey);
        var response = await admin.PostAsync("/v1/patches", Fixtures.Upload(fixture));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<LivePatch.Core.Repository.PatchInfo>())!.Id;
    }

    /// <summary>Scrapes <c>/metrics</c> until <paramref name="ready"/> holds (ASP.NET Core records a request's duration after
    /// its response is sent, and the exporter caches a scrape briefly), at most 10 s; returns the last scrape.</summary>
    public async Task<PrometheusText> ScrapeUntilAsync(Func<PrometheusText, bool> ready)
    {
        using var client = Client();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var response = await client.GetAsync("/metrics");
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var scrape = PrometheusText.Parse(await response.Content.ReadAsStringAsync());
            if (ready(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(100);
        }
    }

    public void Dispose() => Factory.Dispose();
}
