using System.Net;
using System.Text.Json;
using LivePatch.Server.Health;
using LivePatch.Server.Manifests;
using LivePatch.Server.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>/healthz and /readyz of the repository mode over a real Kestrel on 127.0.0.1, as a load balancer asks them: each
/// readiness check made to fail for real (a blob folder that takes no file, a signing certificate about to expire, a
/// re-signer that fails), on the fake clock.</summary>
public sealed class HealthTests : IDisposable
{
    private static readonly string[] RepositoryChecks = ["database", "blob-store", "signing-certificate", "resign-backlog"];
    private readonly List<RepositoryFactory> _factories = [];
    private readonly string _keys = Directory.CreateTempSubdirectory("lpatch-health-keys-").FullName;

    public void Dispose()
    {
        foreach (var factory in _factories)
        {
            factory.Dispose();
        }

        Directory.Delete(_keys, recursive: true);
    }

    [Fact]
    public async Task Readyz_FreshRepository_200EveryCheckHealthyNotCached()
    {
        var (_, client) = Start();

        var (status, body, response) = await ReadyAsync(client);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal(RepositoryChecks, Checks(body).Keys);
        Assert.All(Checks(body).Values, c => Assert.Equal("Healthy", c.Status));
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Equal("127.0.0.1", client.BaseAddress!.Host); // Kestrel, not the in-memory test server
    }

    [Fact]
    public async Task Readyz_BlobFolderTakesNoFile_503BlobStoreUnhealthyWithoutItsPath()
    {
        var (factory, client) = Start();
        var temp = Path.Combine(factory.DataDirectory, "blobs", "tmp");
        Directory.Delete(temp);
        File.WriteAllText(temp, "a file where the blob store's temp folder was"); // as root, a mode would not stop the write

        var (status, body, _) = await ReadyAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", Checks(body)["blob-store"].Status);
        Assert.Equal("Healthy", Checks(body)["database"].Status);
        Assert.DoesNotContain(factory.DataDirectory, body.GetRawText());
        Assert.DoesNotContain("/tmp", body.GetRawText());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(factory.DataDirectory, "blobs"), "probe.*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Readyz_BrokenBlobStore_HealthzStill200Healthy()
    {
        var (factory, client) = Start();
        var temp = Path.Combine(factory.DataDirectory, "blobs", "tmp");
        Directory.Delete(temp);
        File.WriteAllText(temp, "");

        var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_SigningCertificateExpiresInTenDays_200Degraded()
    {
        var (_, client) = Start(ShortLivedSigner(TimeSpan.FromDays(10)));

        var (status, body, _) = await ReadyAsync(client);

        Assert.Equal(HttpStatusCode.OK, status); // a load balancer keeps a degraded server
        Assert.Equal("Degraded", body.GetProperty("status").GetString());
        Assert.Equal("Degraded", Checks(body)["signing-certificate"].Status);
        Assert.Contains("manifest signing certificate expires", Checks(body)["signing-certificate"].Description);
    }

    [Fact]
    public async Task Readyz_SigningCertificateExpired_503Unhealthy()
    {
        var (factory, client) = Start(ShortLivedSigner(TimeSpan.FromDays(10)));
        Assert.Equal(HttpStatusCode.OK, (await ReadyAsync(client)).Status);

        factory.Time.Advance(TimeSpan.FromDays(11));
        var (status, body, _) = await ReadyAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", Checks(body)["signing-certificate"].Status);
        Assert.Contains("expired", Checks(body)["signing-certificate"].Description);
    }

    [Fact]
    public async Task Readyz_ResignerFailingPastDue_200DegradedThen503WhenExpired()
    {
        var (factory, client) = Start();
        await PublishAsync(factory);
        // Every signing batch fails from now on, the expiry timer's as well: the documents age as they are.
        factory.Services.GetRequiredService<ManifestWriter>().BetweenBatches = () => throw new IOException("signing failed (test)");

        factory.Time.Advance(TimeSpan.FromDays(3.5) + TimeSpan.FromHours(3)); // due at 3.5 days; the re-signer looks hourly
        var (degradedStatus, degraded, _) = await ReadyAsync(client);
        factory.Time.Advance(TimeSpan.FromDays(3.5));
        var (expiredStatus, expired, _) = await ReadyAsync(client);

        Assert.Equal(HttpStatusCode.OK, degradedStatus);
        Assert.Equal("Degraded", Checks(degraded)["resign-backlog"].Status);
        Assert.Contains("258 signed document(s) past their re-signing time", Checks(degraded)["resign-backlog"].Description); // 1 manifest, 256 bins, the index
        Assert.Equal(HttpStatusCode.ServiceUnavailable, expiredStatus);
        Assert.Equal("Unhealthy", Checks(expired)["resign-backlog"].Status);
        Assert.Contains("258 signed document(s) expired", Checks(expired)["resign-backlog"].Description);
    }

    [Fact]
    public async Task Readyz_ResignerCatchesUp_HealthyAgain()
    {
        var (factory, client) = Start();
        await PublishAsync(factory);
        factory.Time.Advance(TimeSpan.FromDays(3.5) + TimeSpan.FromHours(3));

        factory.Services.GetRequiredService<ResignService>().ResignDue(); // one pass, as the timer runs it
        var (status, body, _) = await ReadyAsync(client);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", Checks(body)["resign-backlog"].Status);
    }

    [Fact]
    public async Task Readyz_FloodOfRequests_ChecksRunOncePerMaxAge()
    {
        var (factory, client) = Start();
        var first = await ReadyAsync(client);

        // An anonymous flood costs no fsync per request: within MaxAge every answer is the report of one run.
        var flood = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => ReadyAsync(client)));
        factory.Time.Advance(ReadinessReports.MaxAge);
        var later = await ReadyAsync(client);

        Assert.All(flood, r => Assert.Equal(Checked(first.Body), Checked(r.Body)));
        Assert.True(Checked(later.Body) > Checked(first.Body));
    }

    private (RepositoryFactory Factory, HttpClient Client) Start(Dictionary<string, string?>? settings = null)
    {
        var factory = new RepositoryFactory(settings);
        _factories.Add(factory);
        factory.UseKestrel(0);
        factory.StartServer();
        return (factory, factory.CreateClient());
    }

    /// <summary>A signing chain whose leaf expires <paramref name="left"/> from now, made in memory and written as PEM.</summary>
    private Dictionary<string, string?> ShortLivedSigner(TimeSpan left)
    {
        var now = DateTimeOffset.UtcNow; // the factory's fake clock starts at the real time
        var files = TestPki.Instance.WritePem(TestPki.Instance.ManifestSignerValid(now.AddDays(-30), now + left), _keys);
        return new()
        {
            ["LivePatch:Signing:Certificate"] = files.Certificate,
            ["LivePatch:Signing:Key"] = files.Key,
            ["LivePatch:Signing:Chain:0"] = files.Chain,
            ["LivePatch:Signing:Roots:0"] = files.Root,
        };
    }

    private static async Task PublishAsync(RepositoryFactory factory)
    {
        using var admin = factory.CreateClient(factory.AdminKey);
        (await admin.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).EnsureSuccessStatusCode();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> ReadyAsync(HttpClient client)
    {
        var response = await client.GetAsync("/readyz");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, response);
    }

    private static Dictionary<string, (string Status, string Description)> Checks(JsonElement body) =>
        body.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => (c.GetProperty("status").GetString()!, c.GetProperty("description").GetString()!));

    private static DateTimeOffset Checked(JsonElement body) => body.GetProperty("checked").GetDateTimeOffset();
}
