using LivePatch.Server.Manifests;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

public sealed class ResignTests : IDisposable
{
    private readonly RepositoryFactory _factory = new(new() { ["LivePatch:ManifestLifetime"] = "2.00:00:00" });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task ResignDue_MoreThanHalfLifetimeLeft_DoesNothing()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));
        _factory.Time.Advance(TimeSpan.FromHours(23));

        Assert.Equal(0, _factory.Services.GetRequiredService<ResignService>().ResignDue());
    }

    [Fact]
    public async Task Timer_LessThanHalfLeft_ResignsWithNewVersionAndLaterExpiry()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));
        var before = await PublishTests.VerifiedManifestAsync(client, "stable", Fixtures.BuildId, _factory);

        // The background service's PeriodicTimer runs on the fake clock: advancing it fires the timer.
        _factory.Time.Advance(TimeSpan.FromHours(25));
        var after = before;
        for (var i = 0; i < 100 && after.Version == before.Version; i++)
        {
            await Task.Delay(50);
            after = await PublishTests.VerifiedManifestAsync(client, "stable", Fixtures.BuildId, _factory);
        }

        Assert.True(after.Version > before.Version);
        Assert.True(after.Expires > before.Expires);
        Assert.Equal(before.Patches.Select(p => p.Sha256), after.Patches.Select(p => p.Sha256));
    }

    [Fact]
    public async Task Manifest_NotResigned_ExpiresForClients()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));
        var bytes = await client.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}");
        _factory.Time.Advance(TimeSpan.FromDays(3));

        Assert.Equal("manifest-expired", _factory.ManifestVerifier.Verify(bytes).Issue?.Code);
    }

    [Fact]
    public async Task CoverageBinsAndIndex_ReSignedBeforeExpiry_NeverPerRequest()
    {
        using var client = _factory.CreateClient(apiKey: null);
        var bin = $"/v1/coverage/stable/{Fixtures.OtherBuildId[..2]}";
        var first = await CoverageTests.VerifiedBinAsync(client, "stable", Fixtures.OtherBuildId, _factory);
        var firstIndex = await client.GetByteArrayAsync("/v1/index");
        // Advancing the clock also fires the re-signer's timer: its pass waits before its first batch until both GETs are done.
        var writer = _factory.Services.GetRequiredService<Publishing.ManifestWriter>();
        using var gets = new ManualResetEventSlim();
        writer.BetweenBatches = () => gets.Wait(TimeSpan.FromSeconds(30));
        _factory.Time.Advance(TimeSpan.FromHours(25));

        try
        {
            Assert.Equal(await client.GetByteArrayAsync(bin), await client.GetByteArrayAsync(bin)); // a GET signs nothing
        }
        finally
        {
            writer.BetweenBatches = null;
            gets.Set();
        }

        _factory.Services.GetRequiredService<ResignService>().ResignDue();
        var second = await CoverageTests.VerifiedBinAsync(client, "stable", Fixtures.OtherBuildId, _factory);

        Assert.True(second.Version > first.Version);
        Assert.True(second.Expires > first.Expires);
        Assert.NotEqual(firstIndex, await client.GetByteArrayAsync("/v1/index"));
    }
}
