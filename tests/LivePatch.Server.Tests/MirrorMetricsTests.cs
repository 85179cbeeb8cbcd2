using System.Net;

namespace LivePatch.Server.Tests;

/// <summary>The mirror mode's <c>/metrics</c>: its reads are counted as the repository's are.</summary>
/// <remarks>The repository that makes the tree is gone before the mirror starts: with two servers in one process, the
/// exporter would see two meters of the same name (see <see cref="MetricsCollection"/>).</remarks>
[Collection(MetricsCollection.Name)]
public sealed class MirrorMetricsTests
{
    private static readonly (string, string) Manifest = ("livepatch_document_kind", "manifest");

    [Fact]
    public async Task Scrape_MirrorManifestGetAnd304_EachCounted()
    {
        using var folder = new TempFolder();
        using (var repository = new RepositoryFactory())
        {
            using var admin = repository.CreateClient(repository.AdminKey);
            (await admin.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).EnsureSuccessStatusCode();
            await ReadTreeCopy.CopyAsync(repository.CreateClient(apiKey: null), folder.Path, TestKeys.Policy);
        }

        var (app, client) = await MirrorTreeFixture.StartMirrorAsync(folder.Path);
        await using var _ = app;
        using var __ = client;
        var before = await ScrapeAsync(client);

        var first = await client.GetAsync($"/v1/manifests/stable/{Fixtures.BuildId}");
        using var poll = new HttpRequestMessage(HttpMethod.Get, $"/v1/manifests/stable/{Fixtures.BuildId}");
        poll.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(poll)).StatusCode);

        // A first scrape may come before the first collection has seen the observable counters: absent is 0. The exporter
        // may answer from its cache for a moment, so scrape until both counts moved (or 10 s), then check by how much.
        double Moved(PrometheusText scrape, string name) => (scrape.ValueOrNull(name, Manifest) ?? 0) - (before.ValueOrNull(name, Manifest) ?? 0);
        var after = await ScrapeAsync(client);
        for (var deadline = DateTime.UtcNow.AddSeconds(10); DateTime.UtcNow < deadline
            && (Moved(after, "livepatch_documents_served_total") < 1 || Moved(after, "livepatch_documents_not_modified_total") < 1);)
        {
            after = await ScrapeAsync(client);
        }

        Assert.Equal(1, Moved(after, "livepatch_documents_served_total"));
        Assert.Equal(1, Moved(after, "livepatch_documents_not_modified_total"));
        Assert.Empty(after.Find("livepatch_resign_backlog")); // a mirror signs nothing
    }

    private static async Task<PrometheusText> ScrapeAsync(HttpClient client)
    {
        await Task.Delay(400); // the exporter may answer a scrape from its cache for a moment
        var response = await client.GetAsync("/metrics");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("lpatch-mirror-metrics-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
