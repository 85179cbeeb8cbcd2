using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Repository;
using LivePatch.Core.Trust;
using LivePatch.Server.Upstream;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests.Upstream;

/// <summary>A site repository's own key hierarchy (not the vendor's, <see cref="TestKeys"/>), made once per test run: ECDSA
/// P-256, so it takes milliseconds where the development set's RSA module key takes seconds.</summary>
internal static class SiteKeys
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"lpatch-site-keys-{Environment.ProcessId}")).FullName;
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Site root, O=LivePatch Tests", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForCertificateAuthority(0));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        using var signerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signerRequest = new CertificateRequest("CN=Site manifest signer, O=LivePatch Tests", signerKey, HashAlgorithmName.SHA256);
        signerRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        signerRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(LivePatchOids.ManifestSigningEku)], false));
        using var signer = signerRequest.Create(root, now.AddDays(-1), now.AddYears(1), RandomNumberGenerator.GetBytes(16));
        File.WriteAllText(Path.Combine(folder, "root.pem"), root.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "manifest-signing.pem"), signer.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "manifest-signing.key"), signerKey.ExportPkcs8PrivateKeyPem());
        return folder;
    });

    public static string KeyFile(string name) => Path.Combine(Folder.Value, name);

    public static TrustPolicy Policy => new() { Roots = TrustPolicy.LoadRoots([KeyFile("root.pem")]) };
}

/// <summary>A vendor repository on a real Kestrel (127.0.0.1, a free port) and a site repository importing from it: each its own
/// LiteDB data folder and keys; the site pins the vendor root and imports the vendor's stable channel into its candidate.</summary>
internal sealed class SiteAndVendor : IDisposable
{
    public const string VendorId = "vendor";

    /// <param name="vendorRoot">The root the site pins for its vendor (default: the vendor's).</param>
    /// <param name="siteSettings">More settings for the site (they win over the defaults here).</param>
    public SiteAndVendor(string? vendorRoot = null, Dictionary<string, string?>? siteSettings = null)
    {
        Vendor = new RepositoryFactory(new()
        {
            ["LivePatch:RepositoryId"] = VendorId,
            // The inline socket setting is process-wide: it must not change how the other tests' sockets run.
            ["LivePatch:InlineSocketIo"] = "false",
        });
        Vendor.UseKestrel(0);
        Vendor.StartServer();
        VendorUrl = Vendor.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var site = new Dictionary<string, string?>
        {
            ["LivePatch:RepositoryId"] = "site",
            ["LivePatch:Signing:Certificate"] = SiteKeys.KeyFile("manifest-signing.pem"),
            ["LivePatch:Signing:Key"] = SiteKeys.KeyFile("manifest-signing.key"),
            ["LivePatch:Signing:Roots:0"] = SiteKeys.KeyFile("root.pem"),
            ["LivePatch:Channels:0"] = "candidate",
            ["LivePatch:Channels:1"] = "stable",
            ["LivePatch:ManifestLifetime"] = "30.00:00:00",
            ["LivePatch:Upstream:Url"] = VendorUrl,
            ["LivePatch:Upstream:Roots:0"] = vendorRoot ?? TestKeys.KeyFile("root.pem"),
            ["LivePatch:Upstream:Channels:stable"] = "candidate",
        };
        foreach (var (key, value) in siteSettings ?? [])
        {
            site[key] = value;
        }

        Site = new RepositoryFactory(site);
    }

    public RepositoryFactory Vendor { get; }

    public RepositoryFactory Site { get; }

    public string VendorUrl { get; }

    public void Dispose()
    {
        Site.Dispose();
        Vendor.Dispose();
    }

    /// <summary>Publishes a fixture module to the vendor for the fixture kernel; returns the vendor's patch.</summary>
    public async Task<PatchInfo> PublishAsync(string fixture = "lp_sample.rsa2048-sha256.ko", string buildId = Fixtures.BuildId)
    {
        using var vendor = Vendor.CreateClient(Vendor.AdminKey);
        var response = await vendor.PostAsync("/v1/patches", Fixtures.Upload(fixture, ("buildId", buildId)));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
    }

    public async Task RevokeAtVendorAsync(int id, string reason)
    {
        using var vendor = Vendor.CreateClient(Vendor.AdminKey);
        (await vendor.PostAsJsonAsync($"/v1/patches/{id}/revoke", new { reason })).EnsureSuccessStatusCode();
    }

    /// <summary><c>POST /v1/upstream/sync</c> on the site with its admin key.</summary>
    public async Task<HttpResponseMessage> SyncAsync()
    {
        using var site = Site.CreateClient(Site.AdminKey);
        return await site.PostAsync("/v1/upstream/sync", null);
    }

    public async Task<UpstreamSyncSummary> SyncOkAsync()
    {
        var response = await SyncAsync();
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<UpstreamSyncSummary>())!;
    }

    /// <summary>One import from a directory source, as an uploaded bundle would be imported.</summary>
    public Task<Publishing.Outcome<UpstreamSyncSummary>> ImportAsync(string directory) =>
        Site.Services.GetRequiredService<UpstreamImport>().ImportAsync(new DirectoryMirrorSource(directory), CancellationToken.None);

    /// <summary>What the site serves, to compare before and after a refused import: the index and every patch.</summary>
    public async Task<string> SiteStateAsync()
    {
        using var site = Site.CreateClient();
        var index = Convert.ToHexStringLower(SHA256.HashData(await site.GetByteArrayAsync("/v1/index")));
        var patches = await Listings.PatchesAsync(site);
        return index + "\n" + System.Text.Json.JsonSerializer.Serialize(patches);
    }

    /// <summary>Copies the vendor's read tree (index, the stable channel's bins, their manifests and blobs) into a new directory.</summary>
    public async Task<string> CopyVendorTreeAsync()
    {
        var root = Directory.CreateTempSubdirectory("lpatch-vendor-tree-").FullName;
        using var vendor = Vendor.CreateClient();
        var indexBytes = await CopyAsync(vendor, root, MirrorTree.IndexPath);
        var index = new RepositoryIndexVerifier(TestKeys.Policy, Vendor.Time).Verify(indexBytes, out _)!;
        foreach (var entry in index.Bins.Where(b => b.Channel == "stable"))
        {
            var bin = new CoverageBinVerifier(TestKeys.Policy, Vendor.Time).Verify(await CopyAsync(vendor, root, MirrorTree.CoveragePath(entry.Channel, entry.Prefix))).Bin!;
            foreach (var kernel in bin.Kernels)
            {
                var manifest = Vendor.ManifestVerifier.Verify(await CopyAsync(vendor, root, MirrorTree.ManifestPath(entry.Channel, kernel.BuildId))).Manifest!;
                foreach (var sha256 in manifest.Patches.Select(p => p.Sha256))
                {
                    await CopyAsync(vendor, root, MirrorTree.BlobPath(sha256));
                }
            }
        }

        return root;
    }

    private static async Task<byte[]> CopyAsync(HttpClient client, string root, string path)
    {
        var bytes = await client.GetByteArrayAsync("/" + path);
        var file = Path.Combine(root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllBytesAsync(file, bytes);
        return bytes;
    }
}
