using System.Net;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Repository;
using LivePatch.Core.Signing;

namespace LivePatch.Server.Tests.Upstream;

/// <summary>A site repository importing from a vendor repository: re-signed under the site's key, provenance, modules end to end,
/// idempotence, revocations, promotion.</summary>
public sealed class UpstreamImportTests : IDisposable
{
    private readonly SiteAndVendor _servers = new();

    public void Dispose() => _servers.Dispose();

    [Fact]
    public async Task Sync_VendorPatch_ServedUnderTheSiteKeyWithProvenance()
    {
        await _servers.PublishAsync();

        var summary = await _servers.SyncOkAsync();

        Assert.Equal((SiteAndVendor.VendorId, 1, 0), (summary.Repository, summary.Imported, summary.Revoked));
        using var site = _servers.Site.CreateClient();
        var signed = await site.GetByteArrayAsync($"/v1/manifests/candidate/{Fixtures.BuildId}");
        var manifest = new ManifestVerifier(SiteKeys.Policy, _servers.Site.Time).Verify(signed).Manifest!;
        Assert.Equal(("site", "candidate"), (manifest.Repository, manifest.Channel));
        Assert.Equal(new PatchUpstream { Repository = SiteAndVendor.VendorId, Version = summary.Version }, manifest.Patches[0].Upstream);
        Assert.Equal(ErrorCodes.SignerUntrusted, _servers.Vendor.ManifestVerifier.Verify(signed).Issue!.Error);
        Assert.Equal(HttpStatusCode.NotFound, (await site.GetAsync($"/v1/manifests/stable/{Fixtures.BuildId}")).StatusCode);
    }

    [Fact]
    public async Task Sync_VendorPatch_HostChecksTheVendorModuleSignatureEndToEnd()
    {
        await _servers.PublishAsync();

        await _servers.SyncOkAsync();

        using var site = _servers.Site.CreateClient();
        var manifest = new ManifestVerifier(SiteKeys.Policy, _servers.Site.Time)
            .Verify(await site.GetByteArrayAsync($"/v1/manifests/candidate/{Fixtures.BuildId}")).Manifest!;
        var blob = await site.GetByteArrayAsync($"/v1/blobs/sha256/{manifest.Patches[0].Sha256}");
        Assert.Equal(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"), blob);
        var verified = new ModuleVerifier(ModuleKeyring.Load([FixtureFiles.PathOf("keys", "rsa2048.pem")])).Verify(blob);
        Assert.True(verified.IsValid, verified.Issue?.ToString());
        Assert.Equal(manifest.Patches[0].Signer, verified.Signature!.KeyId);
    }

    [Fact]
    public async Task Sync_Twice_SecondStoresNothing()
    {
        await _servers.PublishAsync();
        await _servers.SyncOkAsync();
        var before = await _servers.SiteStateAsync();

        var second = await _servers.SyncOkAsync();

        Assert.Equal((0, 0, 0), (second.Imported, second.Updated, second.Revoked));
        Assert.Equal(before, await _servers.SiteStateAsync());
    }

    [Fact]
    public async Task Sync_VendorRevokes_SiteRevokesItsCopyWithTheVendorsReason()
    {
        var vendorPatch = await _servers.PublishAsync();
        await _servers.SyncOkAsync();

        await _servers.RevokeAtVendorAsync(vendorPatch.Id, "breaks NFS mounts");
        var summary = await _servers.SyncOkAsync();

        Assert.Equal(1, summary.Revoked);
        using var site = _servers.Site.CreateClient();
        var manifest = new ManifestVerifier(SiteKeys.Policy, _servers.Site.Time)
            .Verify(await site.GetByteArrayAsync($"/v1/manifests/candidate/{Fixtures.BuildId}")).Manifest!;
        Assert.Empty(manifest.Patches);
        Assert.Equal("breaks NFS mounts", Assert.Single(manifest.Revoked).Reason);
        Assert.Equal(0, (await _servers.SyncOkAsync()).Revoked);
    }

    [Fact]
    public async Task Promote_ImportedCandidate_ReachesTheSitesStableChannel()
    {
        await _servers.PublishAsync();
        await _servers.SyncOkAsync();
        using var admin = _servers.Site.CreateClient(_servers.Site.AdminKey);
        var imported = Assert.Single(await Listings.PatchesAsync(admin));

        var promoted = await admin.PostAsJsonAsync($"/v1/patches/{imported.Id}/promote", new { channel = "stable" });

        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        var manifest = new ManifestVerifier(SiteKeys.Policy, _servers.Site.Time)
            .Verify(await admin.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}")).Manifest!;
        Assert.Equal(imported.Sha256, Assert.Single(manifest.Patches).Sha256);
        Assert.Equal(0, (await _servers.SyncOkAsync()).Imported);
    }

    [Fact]
    public async Task Sync_WithoutAdminKey_IsRefused()
    {
        var key = await _servers.Site.CreateKeyAsync("publisher");
        using var publisher = _servers.Site.CreateClient(key);

        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsync("/v1/upstream/sync", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _servers.Site.CreateClient().PostAsync("/v1/upstream/sync", null)).StatusCode);
    }

    [Fact]
    public async Task Sync_NoUpstreamConfigured_AnswersUpstreamNotConfigured()
    {
        using var plain = new RepositoryFactory();
        using var admin = plain.CreateClient(plain.AdminKey);

        var response = await admin.PostAsync("/v1/upstream/sync", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(ProblemCodes.UpstreamNotConfigured.Code, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Import_FromADirectoryCopy_ImportsLikeTheUrl()
    {
        await _servers.PublishAsync();
        var tree = await _servers.CopyVendorTreeAsync();

        var outcome = await _servers.ImportAsync(tree);

        Assert.Equal(1, outcome.Value!.Imported);
        Assert.Equal(MirrorTree.IndexPath, Path.GetRelativePath(tree, Path.Combine(tree, MirrorTree.IndexPath)));
        Directory.Delete(tree, recursive: true);
    }
}
