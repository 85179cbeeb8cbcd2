using System.Net.Http.Headers;
using System.Text.Json;

namespace LivePatch.EndToEnd.Tests;

/// <summary>A vendor server process, a site server process importing from it, and a host pinned to the site's root running the
/// real lpatch: the vendor's module applied through the site, then removed after the vendor revokes it.</summary>
public sealed class SiteRepositoryEndToEndTests : IDisposable
{
    private const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9"; // of fixtures/notes/sys-kernel-notes.bin
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-site-e2e-").FullName;
    private readonly ServerProcess _vendor;
    private ServerProcess? _site;

    public SiteRepositoryEndToEndTests()
    {
        _vendor = new ServerProcess(Path.Combine(_root, "vendor"), new Dictionary<string, string>
        {
            ["LivePatch__RepositoryId"] = "vendor",
            ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
        });
    }

    public void Dispose()
    {
        _site?.Dispose();
        _vendor.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Apply_HostPinnedToSite_AppliesTheVendorModuleThenRemovesItAfterTheVendorRevokes()
    {
        await _vendor.StartAsync();
        _site = new ServerProcess(Path.Combine(_root, "site"), new Dictionary<string, string>
        {
            ["LivePatch__RepositoryId"] = "site",
            ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
            ["LivePatch__Upstream__Url"] = _vendor.Url,
            ["LivePatch__Upstream__Roots__0"] = _vendor.Keys("root.pem"),
        });
        await _site.StartAsync();
        var publish = Lpatch.Run(Vendor(), "publish", FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"), "--build-id", BuildId, "--json");
        Assert.True(publish.Exit == 0, publish.ToString());
        using var published = JsonDocument.Parse(publish.Output);
        var vendorId = published.RootElement.GetProperty("id").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var stage = Path.Combine(_root, "stage");
        var config = HostConfig.Write(_root, [_site.Url], _site.Keys("root.pem"), new { kind = "stage", stageDirectory = stage });

        Assert.Equal(1, (await SyncAsync()).GetProperty("imported").GetInt32());
        Host("apply", "--config", config);

        Assert.Equal(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"), File.ReadAllBytes(Path.Combine(stage, "lp_sample.ko")));

        Assert.Equal(0, Lpatch.Run(Vendor(), "revoke", vendorId, "--reason", "breaks NFS").Exit);
        Assert.Equal(1, (await SyncAsync()).GetProperty("revoked").GetInt32());
        var removed = Host("apply", "--config", config, "--json");

        Assert.Empty(Directory.GetFiles(stage));
        Assert.Contains("breaks NFS", removed.Output, StringComparison.Ordinal);
    }

    private Dictionary<string, string> Vendor() => new() { ["LPATCH_SERVER"] = _vendor.Url, ["LPATCH_API_KEY"] = _vendor.AdminKey };

    private async Task<JsonElement> SyncAsync()
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _site!.AdminKey);
        var response = await http.PostAsync($"{_site.Url}/v1/upstream/sync", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{body}\nsite:\n{_site.Log}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private ProcessRun Host(params string[] args)
    {
        var run = Lpatch.Run(args);
        Assert.True(run.Exit == 0, $"lpatch {string.Join(' ', args)}: {run}\nsite:\n{_site!.Log}");
        return run;
    }
}
