using LivePatch.Client.Updates;
namespace LivePatch.Client.Tests.Updates;

/// <summary>DESIGN.md client steps 7 and 10 with an honest repository: what gets applied, what is held back by the host's
/// policy, and what a revocation removes.</summary>
public sealed class UpdateEnginePolicyTests(SimulatorPki pki) : IClassFixture<SimulatorPki>, IAsyncLifetime
{
    private RepositorySimulator _sim = null!;
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _sim = await RepositorySimulator.StartAsync(pki);
        _host = new TestHost(pki, _sim.Url);
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        _host.Dispose();
    }

    [Fact]
    public async Task Apply_ValidManifestAndModule_StagedRecordedAndSecondApplyDoesNothing()
    {
        var level1 = _sim.Publish(ModuleFixtures.Signed, level: 1);

        var first = await _host.ApplyAsync();

        HostAssert.Applied(first);
        Assert.Equal(ModuleFixtures.Signed.Bytes, _host.StagedOrNull("lp_sample"));
        var applied = Assert.Single(_host.State.Applied);
        Assert.Equal((level1.Name, level1.Level, level1.Sha256, ModuleFixtures.BuildId), (applied.Name, applied.Level, applied.Sha256, applied.BuildId));
        Assert.Equal(1UL, _host.State.Versions[$"{RepositorySimulator.DefaultRepositoryId}/stable/{ModuleFixtures.BuildId}"]);
        var blobRequests = _sim.BlobRequests;

        var second = await _host.ApplyAsync();

        Assert.True(second.Succeeded, second.Message);
        Assert.Equal("none", second.Action);
        Assert.Equal(blobRequests, _sim.BlobRequests);
    }

    [Fact]
    public async Task Apply_NewerLevelPublished_ReplacesTheStagedModule()
    {
        _sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await _host.ApplyAsync());
        _sim.Version = 2;
        _sim.Publish(ModuleFixtures.SignedBySkid, level: 2);

        HostAssert.Applied(await _host.ApplyAsync());

        Assert.Equal(ModuleFixtures.SignedBySkid.Bytes, _host.StagedOrNull("lp_sample"));
        Assert.Equal(2, Assert.Single(_host.State.Applied).Level);
    }

    [Fact]
    public async Task Apply_AppliedPatchRevoked_RemovedFromStage()
    {
        var level1 = _sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await _host.ApplyAsync());
        _sim.Version = 2;
        _sim.Revoke(level1);

        var result = await _host.ApplyAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("removed", result.Action);
        Assert.Null(_host.StagedOrNull("lp_sample"));
        Assert.Empty(_host.State.Applied);
    }

    [Fact]
    public async Task Apply_AppliedPatchRevokedAndNewerLevelOfSameName_NewerStaysStaged()
    {
        var level1 = _sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await _host.ApplyAsync());
        _sim.Version = 2;
        _sim.Revoke(level1);
        _sim.Publish(ModuleFixtures.SignedBySkid, level: 2);

        HostAssert.Applied(await _host.ApplyAsync());

        Assert.Equal(ModuleFixtures.SignedBySkid.Bytes, _host.StagedOrNull("lp_sample"));
        Assert.Equal(2, Assert.Single(_host.State.Applied).Level);
    }

    [Fact]
    public async Task Apply_AppliedPatchRevokedAndReplacementCorrupt_RevokedRemovedAnyway()
    {
        var level1 = _sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await _host.ApplyAsync());
        _sim.Version = 2;
        _sim.Revoke(level1);
        _sim.Publish(ModuleFixtures.SignedBySkid, level: 2);
        _sim.BlobAttack = BlobAttack.Corrupt; // the replacement cannot be installed

        var result = await _host.ApplyAsync();

        Assert.Equal(ClientErrorCodes.DownloadHashMismatch, result.Failure?.Code);
        Assert.Null(_host.StagedOrNull("lp_sample"));
        Assert.Empty(_host.State.Applied);
    }

    [Fact]
    public async Task Check_PatchDelayNotPassed_HoldsBackNewerLevel()
    {
        _sim.Publish(ModuleFixtures.Signed, level: 1, published: _sim.Now.AddDays(-3));
        _sim.Publish(ModuleFixtures.SignedBySkid, level: 2, published: _sim.Now.AddHours(-1));
        _host.Options.PatchDelay = TimeSpan.FromDays(1);

        await AssertHeldBackAsync();

        _host.Clock.Advance(TimeSpan.FromDays(1)); // the delay passes: level 2 is allowed now
        var later = await _host.CheckAsync();
        Assert.Equal(2, later.Plan!.Target!.Level);
    }

    [Fact]
    public async Task Check_PinnedLevel_HoldsBackNewerLevel()
    {
        _sim.Publish(ModuleFixtures.Signed, level: 1);
        _sim.Publish(ModuleFixtures.SignedBySkid, level: 2);
        _host.Options.PinLevel = 1;

        await AssertHeldBackAsync();
    }

    [Fact]
    public async Task Check_PinnedCutoffDate_HoldsBackLevelPublishedAfterIt()
    {
        _sim.Publish(ModuleFixtures.Signed, level: 1, published: _sim.Now.AddDays(-10));
        _sim.Publish(ModuleFixtures.SignedBySkid, level: 2, published: _sim.Now.AddDays(-2));
        _host.Options.PinCutoff = _sim.Now.AddDays(-5);

        await AssertHeldBackAsync();
    }

    [Fact]
    public async Task Apply_PinnedLevel_StagesTheOlderLevel()
    {
        _sim.Publish(ModuleFixtures.Signed, level: 1);
        _sim.Publish(ModuleFixtures.SignedBySkid, level: 2);
        _host.Options.PinLevel = 1;

        HostAssert.Applied(await _host.ApplyAsync());

        Assert.Equal(ModuleFixtures.Signed.Bytes, _host.StagedOrNull("lp_sample"));
    }

    /// <summary>Level 1 is the target, level 2 is listed as held back, and a check loads nothing.</summary>
    private async Task AssertHeldBackAsync()
    {
        var result = await _host.CheckAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("would-apply", result.Action);
        Assert.Equal(1, result.Plan!.Target!.Level);
        Assert.Equal(2, Assert.Single(result.Plan.HeldBack).Level);
        Assert.Null(_host.StagedOrNull("lp_sample"));
    }
}
