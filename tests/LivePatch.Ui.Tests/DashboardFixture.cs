using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace LivePatch.Ui.Tests;

/// <summary>The real server process with one published patch, and headless Chromium driven by Playwright: one for every
/// browser test (the collection <see cref="Collection"/>), each of which opens its own browser context (its own cookies).</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    /// <summary>The collection every browser test class joins: one server and one browser for all of them.</summary>
    public const string Collection = "dashboard";

    /// <summary>Debian's chromium: Playwright never downloads a browser here.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    public const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9";

    public const string Cve = "CVE-2024-1086";

    private readonly string _data = Directory.CreateTempSubdirectory("lpatch-ui-").FullName;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public DashboardFixture() => Server = new ServerProcess(_data, new Dictionary<string, string>
    {
        ["LivePatch__Channels__0"] = "candidate",
        ["LivePatch__Channels__1"] = "stable",
        ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
    });

    public ServerProcess Server { get; }

    /// <summary>The id of the patch published at start (for <see cref="BuildId"/>, naming <see cref="Cve"/>).</summary>
    public int PatchId { get; private set; }

    /// <summary>Where the screenshots go: artifacts/ui under the repository's root (CI keeps them).</summary>
    public static string ScreenshotFolder => Path.Combine(Binaries.RepositoryRoot, "artifacts", "ui");

    public async Task InitializeAsync()
    {
        // Before anything slow: a missing browser is one clear line, never a test that passes without one.
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"chromium is not installed ({ChromiumPath} is missing): run `apt-get install -y chromium` (.ci/run installs it).");
        }

        Directory.CreateDirectory(ScreenshotFolder);
        foreach (var old in Directory.GetFiles(ScreenshotFolder, "*.png"))
        {
            File.Delete(old); // a screenshot left by an earlier run must not pass for this run's
        }

        await Server.StartAsync();
        PatchId = await PublishAsync();
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"); // read by the driver it starts
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 60_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps"],
        });
    }

    /// <summary>A fresh browser context (no cookies) whose relative URLs go to the server.</summary>
    public Task<IBrowserContext> NewContextAsync() => _browser!.NewContextAsync(new BrowserNewContextOptions
    {
        BaseURL = Server.Url,
        ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
    });

    /// <summary>An HTTP client of the API holding <paramref name="apiKey"/> as its bearer key.</summary>
    public HttpClient Api(string apiKey)
    {
        var http = new HttpClient { BaseAddress = new Uri(Server.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return http;
    }

    /// <summary>A new API key of <paramref name="role"/>, made by the bootstrap admin: its id and its secret.</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(string name, string role)
    {
        using var admin = Api(Server.AdminKey);
        using var response = await admin.PostAsJsonAsync("/v1/api-keys", new { name, role });
        response.EnsureSuccessStatusCode();
        using var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (created.RootElement.GetProperty("id").GetString()!, created.RootElement.GetProperty("secret").GetString()!);
    }

    /// <summary>Fills in the login page's key and submits it, as an operator does.</summary>
    public static async Task LogInAsync(IPage page, string key)
    {
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
    }

    /// <summary>The whole page as <see cref="ScreenshotFolder"/>/<paramref name="name"/>.png, its path in the test's output.</summary>
    public static async Task ScreenshotAsync(IPage page, string name, ITestOutputHelper output)
    {
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        Server.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    private async Task<int> PublishAsync()
    {
        using var http = Api(Server.AdminKey);
        using var form = PublishForm.Create(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"), [BuildId]);
        form.Add(new StringContent(Cve), "cve");
        using var response = await http.PostAsync("/v1/patches", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var patch = JsonDocument.Parse(body);
        return patch.RootElement.GetProperty("id").GetInt32();
    }
}

/// <summary>Makes <see cref="DashboardFixture"/> one instance shared by every class in the collection.</summary>
[CollectionDefinition(DashboardFixture.Collection)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>;
