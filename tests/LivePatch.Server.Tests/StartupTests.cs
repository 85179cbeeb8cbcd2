using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using LivePatch.Core.Repository;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Tests;

public sealed class StartupTests
{
    [Fact]
    public void Start_ProductionOnDevelopmentKeys_Refuses()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:Signing:Certificate"] = "", ["LivePatch:Signing:Key"] = "", ["LivePatch:Signing:Roots:0"] = "" },
            environment: "Production");

        var e = Assert.ThrowsAny<Exception>(() => factory.Services);
        Assert.Contains("development keys", e.ToString());
    }

    [Fact]
    public async Task Start_NoKeysConfigured_GeneratesDevelopmentSetAndSignsWithIt()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:Signing:Certificate"] = "", ["LivePatch:Signing:Key"] = "", ["LivePatch:Signing:Roots:0"] = "" });
        using var client = factory.CreateClient(apiKey: null);

        var bytes = await client.GetByteArrayAsync($"/v1/coverage/stable/{Fixtures.BuildId[..2]}");

        var keys = Path.Combine(factory.DataDirectory, "keys");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(keys, "manifest-signing.key")));
        var policy = new Core.Trust.TrustPolicy { Roots = Core.Trust.TrustPolicy.LoadRoots([Path.Combine(keys, "root.pem")]) };
        var result = new Core.Manifests.CoverageBinVerifier(policy, factory.Time).Verify(bytes);
        Assert.True(result.IsValid, result.Issue?.ToString());
    }

    [Theory]
    [InlineData("LivePatch:Channels:0", "Stable!", "not a channel name")]
    [InlineData("LivePatch:ManifestLifetime", "00:01:00", "ManifestLifetime")]
    [InlineData("LivePatch:RepositoryId", "has spaces", "RepositoryId")]
    [InlineData("LivePatch:MaxManifestBytes", "1048576", "MaxManifestBytes")]
    [InlineData("LivePatch:Signing:Key", "", "both Certificate and Key")]
    [InlineData("LivePatch:ReadPath", "fast", "LivePatch:ReadPath is 'fast', which is neither tuned (the default) nor simple.")]
    public void Start_BadSetting_FailsWithMessageNamingIt(string key, string value, string message)
    {
        using var factory = new RepositoryFactory(new() { [key] = value });

        var e = Assert.ThrowsAny<Exception>(() => factory.Services);
        Assert.Contains(message, e.ToString());
    }

    [Fact]
    public void Start_MissingKeyFile_FailsAtStart()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:Signing:Key"] = "/nonexistent/manifest-signing.key" });

        var e = Assert.ThrowsAny<Exception>(() => factory.Services);
        Assert.True(e.ToString().Contains("/nonexistent/manifest-signing.key", StringComparison.Ordinal), e.ToString());
    }

    [Fact]
    public void Start_SigningCertNotUnderConfiguredRoot_FailsAtStart()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:Signing:Roots:0"] = FixtureFiles.PathOf("keys", "rsa2048.pem") });

        var e = Assert.ThrowsAny<Exception>(() => factory.Services);
        Assert.Contains("does not verify against LivePatch:Signing:Roots", e.ToString());
    }

    [Fact]
    public async Task Restart_SameDataFolder_KeepsPatchesManifestsAndKeys()
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        var adminKey = first.AdminKey;
        byte[] manifest;
        using (var client = first.CreateClient(adminKey))
        {
            await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));
            manifest = await client.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}");
        }

        await first.DisposeAsync();
        using var restarted = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var again = restarted.CreateClient(adminKey);

        Assert.Equal(manifest, await again.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}"));
        Assert.Single(await Listings.PatchesAsync(again));
        Assert.Equal(adminKey, restarted.AdminKey);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, (await again.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).StatusCode);
    }

    [Fact]
    public void Start_LeftoverTemporaryBlob_IsSwept()
    {
        var data = Directory.CreateTempSubdirectory("lpatch-sweep-").FullName;
        Directory.CreateDirectory(Path.Combine(data, "blobs", "tmp"));
        File.WriteAllText(Path.Combine(data, "blobs", "tmp", "half-written"), "x");

        using var factory = new RepositoryFactory(dataDirectory: data);
        _ = factory.Services;

        Assert.Empty(Directory.GetFiles(Path.Combine(data, "blobs", "tmp")));
    }

    [Fact]
    public async Task Restart_BlobNoPatchReferences_RemovedWithLogLineAndReferencedKept()
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        PatchInfo published;
        using (var client = first.CreateClient(first.AdminKey))
        {
            published = (await (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).Content.ReadFromJsonAsync<PatchInfo>())!;
        }

        await first.DisposeAsync();
        // What a publish that failed after writing its blob left behind (before blobs were removed on failure).
        var orphan = FixtureFiles.Module("lp_sample.ecdsa-p384-sha384.ko");
        var orphanHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(orphan));
        var orphanPath = Path.Combine(first.DataDirectory, "blobs", "sha256", orphanHash[..2], orphanHash);
        Directory.CreateDirectory(Path.GetDirectoryName(orphanPath)!);
        File.WriteAllBytes(orphanPath, orphan);
        var lines = new LogLines();

        using var restarted = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var factory = restarted.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(lines)));
        using var again = factory.CreateClient();

        Assert.False(File.Exists(orphanPath));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await again.GetAsync($"/v1/blobs/sha256/{orphanHash}")).StatusCode);
        Assert.Equal(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"), await again.GetByteArrayAsync($"/v1/blobs/sha256/{published.Sha256}"));
        Assert.Contains(lines.Messages, m => m.Contains(orphanHash, StringComparison.Ordinal) && m.Contains("no patch references it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restart_PatchStoredWithoutModuleDigest_DigestBackfilledAndRecompressedCopyRefused()
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        var adminKey = first.AdminKey;
        using (var client = first.CreateClient(adminKey))
        {
            await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));
        }

        await first.DisposeAsync();
        using (var db = new Storage.RepositoryDatabase(first.DataDirectory))
        {
            // A document as servers before the module digest wrote it.
            var old = Assert.Single(db.Patches.FindAll());
            old.ModuleSha256 = null;
            db.Patches.Update(old);
        }

        using var restarted = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var again = restarted.CreateClient(adminKey);

        await PublishTests.AssertProblemAsync(await again.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko.gz")),
            System.Net.HttpStatusCode.Conflict, "duplicate-module");
    }
}
