using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Signing;

namespace LivePatch.EndToEnd.Tests;

/// <summary>
/// Many hosts at once against the real server: Kestrel's socket buffers come from the server's own pool
/// (<c>WarmBlockPool</c>) and large bodies are written in large blocks, so every byte of every concurrent response is
/// checked against what was published. A block handed to two connections at once would mix their bytes.
/// </summary>
public sealed class ConcurrentDownloadTests : IDisposable
{
    private const string SmallKernel = "1111111111111111111111111111111111111111";
    private const string LargeKernel = "2222222222222222222222222222222222222222";
    private readonly string _data = Directory.CreateTempSubdirectory("lpatch-e2e-").FullName;
    private readonly ServerProcess _server;

    public ConcurrentDownloadTests() => _server = new ServerProcess(_data, new Dictionary<string, string>
    {
        ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
    });

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task ConcurrentDownloads_OfSmallAndLargeModulesAndManifests_AreEachByteForByteThePublishedOnes()
    {
        await _server.StartAsync();
        var small = await File.ReadAllBytesAsync(FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"));
        // A 1 MiB module: the unsigned fixture with random bytes after its ELF contents, signed with the fixture key.
        byte[] padded = [.. await File.ReadAllBytesAsync(FixtureFiles.PathOf("modules", "lp_sample.ko")), .. RandomNumberGenerator.GetBytes(1 << 20)];
        using var signer = X509Certificate2.CreateFromPemFile(FixtureFiles.PathOf("keys", "rsa2048.pem"), FixtureFiles.PathOf("keys", "rsa2048.key"));
        var large = ModuleSigner.Sign(padded, signer, HashAlgorithmName.SHA256);

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = new Uri(_server.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _server.AdminKey);
        await PublishAsync(http, small, SmallKernel);
        await PublishAsync(http, large, LargeKernel);
        var manifests = new Dictionary<string, byte[]>();
        foreach (var kernel in new[] { SmallKernel, LargeKernel })
        {
            manifests[kernel] = await http.GetByteArrayAsync($"/v1/manifests/stable/{kernel}");
        }

        var expected = new (string Path, byte[] Bytes)[]
        {
            ($"/v1/blobs/sha256/{Convert.ToHexStringLower(SHA256.HashData(large))}", large),
            ($"/v1/blobs/sha256/{Convert.ToHexStringLower(SHA256.HashData(small))}", small),
            ($"/v1/manifests/stable/{SmallKernel}", manifests[SmallKernel]),
            ($"/v1/manifests/stable/{LargeKernel}", manifests[LargeKernel]),
        };
        var wrong = new List<string>();
        await Task.WhenAll(Enumerable.Range(0, 24).Select(client => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                var (path, bytes) = expected[(client + i) % expected.Length];
                var body = await http.GetByteArrayAsync(path);
                if (!body.AsSpan().SequenceEqual(bytes))
                {
                    lock (wrong)
                    {
                        wrong.Add($"{path}: {body.Length} bytes, expected {bytes.Length}");
                    }
                }
            }
        })));

        Assert.Empty(wrong);
    }

    private static async Task PublishAsync(HttpClient http, byte[] module, string buildId)
    {
        using var form = PublishForm.Create(module, [buildId]);
        using var response = await http.PostAsync("/v1/patches", form);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }
}
