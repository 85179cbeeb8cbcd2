using System.Net;
using System.Net.Http.Headers;
using System.Diagnostics;
using System.Text.Json;
using LivePatch.Server.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LivePatch.Server.Tests;

/// <summary><c>/metrics</c> on a real Kestrel: what a publish, a manifest GET, a 304 and a refused key add up to, who may
/// scrape, and the switch that removes it.</summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests(ITestOutputHelper output)
{
    private const string ManifestRoute = "/v1/manifests/{channel}/{buildId}";
    private static readonly (string, string) Manifest = ("livepatch_document_kind", "manifest");

    [Theory]
    [InlineData("tuned")]
    [InlineData("simple")] // the read path's A/B: the same counts and route from either store of manifests
    public async Task Scrape_AfterPublishGetAnd304_CountsEachWithoutTimingThem(string readPath)
    {
        using var server = new LoopbackRepository(new() { [ReadPath.ReadPathSetting.Key] = readPath });
        await server.PublishAsync();
        using var client = server.Client();
        var first = await client.GetAsync($"/v1/manifests/stable/{Fixtures.BuildId}");
        first.EnsureSuccessStatusCode();
        using var poll = new HttpRequestMessage(HttpMethod.Get, $"/v1/manifests/stable/{Fixtures.BuildId}");
        poll.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(poll)).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/manifests/stable/{Fixtures.OtherBuildId}")).StatusCode);

        var scrape = await server.ScrapeUntilAsync(s => RouteCount(s, "404") == 1);

        Assert.Equal(1, scrape.ValueOrNull("livepatch_documents_served_total", Manifest));
        Assert.Equal(1, scrape.ValueOrNull("livepatch_documents_not_modified_total", Manifest));
        Assert.Equal(1, scrape.ValueOrNull("livepatch_publishes_total", ("livepatch_outcome", "ok")));
        // Both answers came from the read path, before routing: counted above, not timed. The endpoint's 404 is timed.
        Assert.DoesNotContain(scrape.Find("http_server_request_duration_seconds_count"), t =>
            t.Labels.GetValueOrDefault("http_response_status_code") is "200" or "304"
            && t.Labels.GetValueOrDefault("http_route") != MetricsOptions.Path); // a scrape before this one is timed
        Assert.Equal("histogram", scrape.Types["http_server_request_duration_seconds"]);
        Assert.NotEmpty(scrape.Find("http_server_request_duration_seconds_bucket", ("http_route", ManifestRoute), ("le", "0.005")));
        Assert.Empty(scrape.Find("http_server_active_requests")); // dropped: two updates per request
        Assert.NotEmpty(scrape.Find("kestrel_active_connections")); // the rest of ASP.NET Core's instruments stay
        Assert.True(scrape.ValueOrNull("livepatch_signing_duration_seconds_count", Manifest) >= 1);
        Assert.Equal(0, scrape.ValueOrNull("livepatch_resign_backlog", Manifest));
        var expiry = scrape.ValueOrNull("livepatch_documents_nearest_expiry_seconds", Manifest)!.Value;
        Assert.InRange(expiry, TimeSpan.FromDays(7).TotalSeconds - 3600, TimeSpan.FromDays(7).TotalSeconds);
    }

    [Fact]
    public async Task Scrape_ManifestOfUnknownKernel_TimedUnderTheSameRouteAsTheReadPath()
    {
        using var server = new LoopbackRepository();
        using var client = server.Client();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/manifests/stable/{Fixtures.OtherBuildId}")).StatusCode);

        var scrape = await server.ScrapeUntilAsync(s => RouteCount(s, "404") == 1);
        Assert.Equal(1, RouteCount(scrape, "404"));
    }

    [Fact]
    public async Task Scrape_AfterRefusedKey_CountsTheFailureByReason()
    {
        using var server = new LoopbackRepository();
        using var guesser = server.Client("lpk_0123456789ab_notAKey");

        Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).StatusCode);

        var scrape = await server.ScrapeUntilAsync(s => s.Find("livepatch_auth_failures_total").Any());
        Assert.Equal(1, scrape.ValueOrNull("livepatch_auth_failures_total", ("livepatch_auth_scheme", "ApiKey"), ("livepatch_auth_reason", "invalid-key")));
        Assert.Null(scrape.ValueOrNull("livepatch_auth_failures_total", ("livepatch_auth_reason", "missing-key")));
    }

    [Fact]
    public async Task Scrape_RefusedPublish_CountedUnderItsProblemCode()
    {
        using var server = new LoopbackRepository();
        using var admin = server.Client(server.Factory.AdminKey);

        var refused = await admin.PostAsync("/v1/patches", Fixtures.Upload("plain.rsa2048-sha256.ko"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var scrape = await server.ScrapeUntilAsync(s => s.Find("livepatch_publishes_total").Any());
        Assert.Equal(1, scrape.ValueOrNull("livepatch_publishes_total", ("livepatch_outcome", "module-not-livepatch")));
    }

    [Fact]
    public async Task Metrics_FromAddressOutsideAllowedNetworks_RefusedWithForbidden()
    {
        using var server = new LoopbackRepository(new() { ["LivePatch:Metrics:AllowedNetworks:0"] = "10.0.0.0/8" });
        using var client = server.Client();

        var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("forbidden", problem.RootElement.GetProperty("code").GetString());
        Assert.DoesNotContain("livepatch_", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_Disabled_NotServed()
    {
        using var server = new LoopbackRepository(new() { ["LivePatch:Metrics:Enabled"] = "false" });
        using var client = server.Client();

        var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public void Start_MetricsAllowedNetworkMalformed_FailsNamingTheSetting()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:Metrics:AllowedNetworks:0"] = "10.0.0.0/99" });

        var e = Assert.ThrowsAny<Exception>(() => factory.Services);

        Assert.Contains("LivePatch:Metrics:AllowedNetworks", StartFailure.MessageOrNull(e) ?? e.ToString());
    }

    /// <summary>What the read path adds per answer, measured where it runs: with the exporter's meter provider listening, a
    /// count allocates nothing (and is seen by the scrape, so it was not a call nobody listened to).</summary>
    [Fact]
    public async Task DocumentServed_WithExporterListening_AllocatesNothing()
    {
        using var server = new LoopbackRepository();
        var metrics = server.Factory.Services.GetRequiredService<RepositoryMetrics>();
        const int Calls = 200_000;
        for (var i = 0; i < 1000; i++)
        {
            metrics.DocumentServed(DocumentKind.Blob, notModified: true);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < Calls; i++)
        {
            metrics.DocumentServed(DocumentKind.Blob, notModified: true);
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        output.WriteLine($"{elapsed.TotalNanoseconds / Calls:0.0} ns per count, {allocated} bytes allocated in {Calls} counts");
        Assert.Equal(0, allocated);
        var scrape = await server.ScrapeUntilAsync(s => s.Find("livepatch_documents_not_modified_total").Any());
        Assert.Equal(Calls + 1000, scrape.ValueOrNull("livepatch_documents_not_modified_total", ("livepatch_document_kind", "blob")));
    }

    private static double? RouteCount(PrometheusText scrape, string status) => scrape.ValueOrNull("http_server_request_duration_seconds_count",
        ("http_route", ManifestRoute), ("http_response_status_code", status), ("http_request_method", "GET"));
}

/// <summary>The metrics tests run alone: OpenTelemetry's meter provider listens to every meter of its name in the process,
/// so another test's server running beside one (in production there is one per process) would add to its counts.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
