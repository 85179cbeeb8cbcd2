using System.Net.Http.Headers;
using LivePatch.Core.Keys;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;
using LivePatch.Server.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LivePatch.Server.Tests;

/// <summary>Manifest signing keys made once for the whole test run (an RSA-4096 module key takes a while).</summary>
internal static class TestKeys
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), $"lpatch-server-keys-{Environment.ProcessId}");
        if (!File.Exists(Path.Combine(folder, "root.pem")))
        {
            using var keys = DevelopmentKeys.Generate(TimeProvider.System);
            keys.WriteTo(folder);
        }

        return folder;
    });

    public static string KeyFile(string name) => System.IO.Path.Combine(Folder.Value, name);

    public static TrustPolicy Policy => new() { Roots = TrustPolicy.LoadRoots([KeyFile("root.pem")]) };
}

/// <summary>A repository server in memory (WebApplicationFactory) on its own temp data folder and a fake clock.</summary>
/// <remarks>Configured keys, not generated ones, so tests start fast; module keyring = the sign-file fixture keys.</remarks>
public sealed class RepositoryFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public RepositoryFactory(Dictionary<string, string?>? settings = null, string? dataDirectory = null, string environment = "Development")
    {
        DataDirectory = dataDirectory ?? Directory.CreateTempSubdirectory("lpatch-server-").FullName;
        Environment = environment;
        _settings = new()
        {
            ["LivePatch:DataDirectory"] = DataDirectory,
            ["LivePatch:RepositoryId"] = "test",
            ["LivePatch:Signing:Certificate"] = TestKeys.KeyFile("manifest-signing.pem"),
            ["LivePatch:Signing:Key"] = TestKeys.KeyFile("manifest-signing.key"),
            ["LivePatch:Signing:Roots:0"] = TestKeys.KeyFile("root.pem"),
            ["LivePatch:ModuleKeyring:0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
            ["LivePatch:ModuleKeyring:1"] = FixtureFiles.PathOf("keys", "ecdsa-p384.pem"),
        };
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }
    }

    public string DataDirectory { get; }

    public string Environment { get; }

    /// <summary>False to keep the data folder for a restart on it.</summary>
    public bool DeleteDataOnDispose { get; init; } = true;

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>More services for a test (a log collector), added after the server's own.</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    /// <summary>Starts the server on a real Kestrel (127.0.0.1, a free port) instead of the in-memory server and returns its
    /// base URL; clients then talk real HTTP. Give such a factory <c>LivePatch:InlineSocketIo=false</c>: that setting is
    /// process-wide and must not change how the other tests' sockets run.</summary>
    public Uri StartOnLoopback()
    {
        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");
    }

    /// <summary>The bootstrap admin key the server wrote on first start.</summary>
    public string AdminKey
    {
        get
        {
            _ = Services; // starts the server, which writes the key on first start
            return File.ReadAllText(System.IO.Path.Combine(DataDirectory, RepositoryStartup.AdminKeyFileName)).Trim();
        }
    }

    public ManifestVerifier ManifestVerifier => new(TestKeys.Policy, Time);

    public HttpClient CreateClient(string? apiKey)
    {
        var client = CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    /// <summary>Creates an API key through the admin API and returns its secret.</summary>
    public async Task<string> CreateKeyAsync(string role)
    {
        using var admin = CreateClient(AdminKey);
        var response = await admin.PostAsJsonAsync("/v1/api-keys", new { name = $"test-{role}", role });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("secret").GetString()!;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            TestServices?.Invoke(services);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && DeleteDataOnDispose)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // LiteDB may still hold the file for a moment on a failed start; the temp folder is harmless.
            }
        }
    }
}
