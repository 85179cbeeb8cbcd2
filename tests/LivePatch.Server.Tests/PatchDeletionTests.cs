using System.Net;
using System.Security.Cryptography;
using System.Text;
using LivePatch.Core.Repository;
using LivePatch.Core.Signing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace LivePatch.Server.Tests;

public sealed class PatchDeletionTests : IDisposable
{
    private const string Module = "lp_sample.rsa2048-sha256.ko";
    private readonly RepositoryFactory _factory = new(new() { ["LivePatch:Channels:0"] = "candidate", ["LivePatch:Channels:1"] = "stable" });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Delete_AsAdmin_GoneFromEveryManifestWithoutRevocationAndBlobRemoved()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var patch = await PublishAsync(client, Module, Fixtures.BuildId);
        await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/promote", new PromoteRequest("stable"));
        var before = await ManifestAsync(client, "stable", Fixtures.BuildId);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/blobs/sha256/{patch.Sha256}")).StatusCode); // now cached in memory

        var response = await client.DeleteAsync($"/v1/patches/{patch.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(patch.Sha256, (await response.Content.ReadFromJsonAsync<PatchInfo>())!.Sha256);
        foreach (var channel in new[] { "candidate", "stable" })
        {
            var manifest = await ManifestAsync(client, channel, Fixtures.BuildId);
            Assert.Empty(manifest.Patches);
            Assert.Empty(manifest.Revoked); // unlike a revocation: no trace left
            Assert.True(manifest.Version > before.Version);
        }

        await PublishTests.AssertProblemAsync(await client.GetAsync($"/v1/blobs/sha256/{patch.Sha256}"), HttpStatusCode.NotFound, "blob-not-found");
        await PublishTests.AssertProblemAsync(await client.GetAsync($"/v1/patches/{patch.Id}"), HttpStatusCode.NotFound, "patch-not-found");
        Assert.Empty(await Listings.KernelsAsync(client));
    }

    [Fact]
    public async Task Delete_BlobSharedWithAnotherPatch_BlobStaysAndOtherPatchListed()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var first = await PublishAsync(client, Module, Fixtures.BuildId);
        var second = await PublishAsync(client, Module, Fixtures.OtherBuildId); // same bytes, another kernel: another patch

        Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/v1/patches/{first.Id}")).StatusCode);

        Assert.Equal(FixtureFiles.Module(Module), await client.GetByteArrayAsync($"/v1/blobs/sha256/{second.Sha256}"));
        Assert.Equal(second.Sha256, Assert.Single((await ManifestAsync(client, "candidate", Fixtures.OtherBuildId)).Patches).Sha256);
    }

    [Fact]
    public async Task Delete_NotAdminOrUnknownPatch_RefusedAndNothingChanged()
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);
        using var publisher = _factory.CreateClient(await _factory.CreateKeyAsync("publisher"));
        using var anonymous = _factory.CreateClient(apiKey: null);
        var patch = await PublishAsync(admin, Module, Fixtures.BuildId);

        await PublishTests.AssertProblemAsync(await publisher.DeleteAsync($"/v1/patches/{patch.Id}"), HttpStatusCode.Forbidden, "forbidden");
        await PublishTests.AssertProblemAsync(await anonymous.DeleteAsync($"/v1/patches/{patch.Id}"), HttpStatusCode.Unauthorized, "unauthenticated");
        await PublishTests.AssertProblemAsync(await admin.DeleteAsync("/v1/patches/999"), HttpStatusCode.NotFound, "patch-not-found");

        Assert.Single((await ManifestAsync(admin, "candidate", Fixtures.BuildId)).Patches);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/v1/blobs/sha256/{patch.Sha256}")).StatusCode);
    }

    [Fact]
    public async Task Delete_LastPatchWithWrongVermagic_BuildIdTakesAnotherRelease()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var wrong = await PublishAsync(client, WithVermagic("6.1.0-99-amd64"), Fixtures.BuildId);
        var refused = await client.PostAsync("/v1/patches", Fixtures.Upload(Module));
        await PublishTests.AssertProblemAsync(refused, HttpStatusCode.Conflict, "kernel-release-mismatch");

        await client.DeleteAsync($"/v1/patches/{wrong.Id}");
        var right = await PublishAsync(client, Module, Fixtures.BuildId);

        Assert.Equal("6.1.0-56-amd64", right.KernelRelease);
        Assert.Equal("6.1.0-56-amd64", (await ManifestAsync(client, "candidate", Fixtures.BuildId)).KernelRelease);
    }

    [Fact]
    public async Task Delete_IsLoggedLikeRevoke()
    {
        var lines = new LogLines();
        using var factory = _factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(lines)));
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", _factory.AdminKey);
        var patch = await PublishAsync(client, Module, Fixtures.BuildId);

        await client.DeleteAsync($"/v1/patches/{patch.Id}");

        var deleted = Assert.Single(lines.Messages, m => m.StartsWith("Deleted patch", StringComparison.Ordinal));
        Assert.Contains($"Deleted patch {patch.Id} (lp_sample level 1, {patch.Sha256})", deleted);
        Assert.Contains("bootstrap-admin", deleted);
        Assert.EndsWith("module file removed", deleted);
    }

    private static Task<PatchInfo> PublishAsync(HttpClient client, string fixture, string buildId) =>
        PublishAsync(client, FixtureFiles.Module(fixture), buildId);

    private static async Task<PatchInfo> PublishAsync(HttpClient client, byte[] module, string buildId)
    {
        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(module, ("buildId", buildId)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
    }

    /// <summary>The sample module "built for" another release: vermagic rewritten, then signed as sign-file would.</summary>
    private static byte[] WithVermagic(string release)
    {
        var module = FixtureFiles.Module("lp_sample.ko");
        var at = module.AsSpan().IndexOf("vermagic=6.1.0-56-amd64"u8);
        Encoding.ASCII.GetBytes($"vermagic={release}").CopyTo(module, at);
        using var signer = ModuleSigner.LoadSigningCertificate(FixtureFiles.PathOf("keys", "rsa2048.pem"), FixtureFiles.PathOf("keys", "rsa2048.key"));
        return ModuleSigner.Sign(module, signer, HashAlgorithmName.SHA256);
    }

    private Task<Core.Manifests.Manifest> ManifestAsync(HttpClient client, string channel, string buildId) =>
        PublishTests.VerifiedManifestAsync(client, channel, buildId, _factory);
}
