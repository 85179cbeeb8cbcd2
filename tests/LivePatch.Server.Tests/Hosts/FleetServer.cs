using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using LivePatch.Core.Repository;
using LivePatch.Server.Hosts;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests.Hosts;

/// <summary>A repository on a real Kestrel (127.0.0.1, a port the system picks) with its own LiteDB file and fake clock, as
/// hosts and operators meet it: reports and fleet questions go over real HTTP.</summary>
internal sealed class FleetServer : IDisposable
{
    public const string Rsa = "lp_sample.rsa2048-sha256.ko";
    public const string Ecdsa = "lp_sample.ecdsa-p384-sha384.ko";

    public FleetServer(Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            // The inline socket setting is process-wide: it must not change how the other tests' sockets run.
            ["LivePatch:InlineSocketIo"] = "false",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        Repository = new RepositoryFactory(all);
        Repository.UseKestrel(0);
        Repository.StartServer();
        Url = new Uri(Repository.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
    }

    public RepositoryFactory Repository { get; }

    public Uri Url { get; }

    public HostStore Store => Repository.Services.GetRequiredService<HostStore>();

    public void Dispose() => Repository.Dispose();

    /// <summary>A client of the real server, with the key when given.</summary>
    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = Url };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>A client with a new key of <paramref name="role"/>, made by the admin.</summary>
    public async Task<HttpClient> ClientWithRoleAsync(string role) =>
        Client(role == RepositoryRoles.Admin ? Repository.AdminKey : await Repository.CreateKeyAsync(role));

    /// <summary>Publishes a fixture module for a kernel (admin); returns the patch.</summary>
    public async Task<PatchInfo> PublishAsync(string fixture, string buildId = Fixtures.BuildId, params (string Key, string Value)[] fields)
    {
        using var admin = Client(Repository.AdminKey);
        var response = await admin.PostAsync("/v1/patches", Fixtures.Upload(fixture, [("buildId", buildId), .. fields]));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
    }

    public async Task RevokeAsync(int id)
    {
        using var admin = Client(Repository.AdminKey);
        (await admin.PostAsJsonAsync($"/v1/patches/{id}/revoke", new RevokeRequest("breaks NFS"))).EnsureSuccessStatusCode();
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, HostReport report) =>
        client.PostAsync("/v1/reports", JsonContent.Create(report, RepositoryJsonContext.Default.HostReport));

    /// <summary>Posts and insists on 204.</summary>
    public static async Task PostOkAsync(HttpClient client, HostReport report)
    {
        var response = await PostAsync(client, report);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Moves the server's clock on past the per-host rate limit.</summary>
    public void Advance(TimeSpan by) => Repository.Time.Advance(by);

    /// <summary>A machine id as a host derives it: the SHA-256 of something, here of <paramref name="seed"/>.</summary>
    public static string MachineId(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    /// <summary>A well-formed report of an apply that changed nothing on the fixture kernel.</summary>
    public static HostReport Report(string seed, string buildId = Fixtures.BuildId, string channel = "stable", PatchInfo[]? applied = null) => new()
    {
        MachineId = MachineId(seed),
        Hostname = $"host-{seed}",
        Kernel = new ReportedKernel(buildId, "6.1.0-56-amd64"),
        Channel = channel,
        RepositoryId = "test",
        Applied = [.. (applied ?? []).Select(p => new ReportedPatch { Name = p.Name, Level = p.Level, Sha256 = p.Sha256, Cves = p.Cves })],
        Outcome = new ReportedOutcome { Command = "apply", Action = "none", ExitCode = 0, Message = "nothing to do" },
        Time = DateTimeOffset.UtcNow,
        ClientVersion = "1.0.0",
        UptimeSeconds = 3600,
    };

    /// <summary>The outcome of an apply whose loader failed on <paramref name="target"/> (exit 4).</summary>
    public static ReportedOutcome LoaderFailed(PatchInfo target) => new()
    {
        Command = "apply", Action = "failed", Code = "insmod-failed", ExitCode = 4, Message = "insmod: Key was rejected by service",
        Target = new ReportedTarget(target.Name, target.Level, target.Sha256),
    };
}
