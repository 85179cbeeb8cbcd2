using LivePatch.Client.Updates;
namespace LivePatch.Client.Tests.Updates;

/// <summary>docs/architecture.md, step 7 and 10 with an honest repository: what gets applied, what is held back by the host's
/// policy, and what a revocation removes.</summary>
public sealed class UpdateEnginePolicyTests(SimulatorPki pki) : SimulatorTests(pki)
{
    [Fact]
    public async Task Apply_ValidManifestAndModule_StagedRecordedAndSecondApplyDoesNothing()
    {
        var level1 = Sim.Publish(ModuleFixtures.Signed, level: 1);

        var first = await Host.ApplyAsync();

        HostAssert.Applied(first);
        Assert.Equal(ModuleFixtures.Signed.Bytes, Host.StagedOrNull("lp_sample"));
        var applied = Assert.Single(Host.State.Applied);
        Assert.Equal((level1.Name, level1.Level, level1.Sha256, ModuleFixtures.BuildId), (applied.Name, applied.Level, applied.Sha256, applied.BuildId));
        Assert.Equal(1UL, Host.State.Versions[$"{RepositorySimulator.DefaultRepositoryId}/stable/{ModuleFixtures.BuildId}"]);
        var blobRequests = Sim.BlobRequests;

        var second = await Host.ApplyAsync();

        Assert.True(second.Succeeded, second.Message);
        Assert.Equal("none", second.ActionName);
        Assert.Equal(blobRequests, Sim.BlobRequests);
    }

    [Fact]
    public async Task Apply_NewerLevelPublished_ReplacesTheStagedModule()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        Sim.Version = 2;
        Sim.Publish(ModuleFixtures.SignedBySkid, level: 2);

        HostAssert.Applied(await Host.ApplyAsync());

        Assert.Equal(ModuleFixtures.SignedBySkid.Bytes, Host.StagedOrNull("lp_sample"));
        Assert.Equal(2, Assert.Single(Host.State.Applied).Level);
    }

    [Fact]
    public async Task Apply_AppliedPatchRevoked_RemovedFromStage()
    {
        var level1 = Sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        Sim.Version = 2;
        Sim.Revoke(level1);

        var result = await Host.ApplyAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("removed", result.ActionName);
        Assert.Null(Host.StagedOrNull("lp_sample"));
        Assert.Empty(Host.State.Applied);
    }

    [Fact]
    public async Task Apply_AppliedPatchRevokedAndNewerLevelOfSameName_NewerStaysStaged()
    {
        var level1 = Sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        Sim.Version = 2;
        Sim.Revoke(level1);
        Sim.Publish(ModuleFixtures.SignedBySkid, level: 2);

        HostAssert.Applied(await Host.ApplyAsync());

        Assert.Equal(ModuleFixtures.SignedBySkid.Bytes, Host.StagedOrNull("lp_sample"));
        Assert.Equal(2, Assert.Single(Host.State.Applied).Level);
    }

    [Fact]
    public async Task Apply_AppliedPatchRevokedAndReplacementCorrupt_RevokedRemovedAnyway()
    {
        var level1 = Sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        Sim.Version = 2;
        Sim.Revoke(level1);
        Sim.Publish(ModuleFixtures.SignedBySkid, level: 2);
        Sim.BlobAttack = BlobAttack.Corrupt; // the replacement cannot be installed

        var result = await Host.ApplyAsync();

        Assert.Equal(ClientErrorCodes.DownloadHashMismatch, result.Failure?.Code);
        Assert.Null(Host.StagedOrNull("lp_sample"));
        Assert.Empty(Host.State.Applied);
    }

    [Fact]
    public async Task Check_PatchDelayNotPassed_HoldsBackNewerLevel()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1, published: Sim.Now.AddDays(-3));
        Sim.Publish(ModuleFixtures.SignedBySkid, level: 2, published: Sim.Now.AddHours(-1));
        Host.Options.PatchDelay = TimeSpan.FromDays(1);

        await AssertHeldBackAsync();

        Host.Clock.Advance(TimeSpan.FromDays(1)); // the delay passes: level 2 is allowed now
        var later = await Host.CheckAsync();
        Assert.Equal(2, later.Plan!.Target!.Level);
    }

    [Fact]
    public async Task Check_PinnedLevel_HoldsBackNewerLevel()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        Sim.Publish(ModuleFixtures.SignedBySkid, level: 2);
        Host.Options.PinLevel = 1;

        await AssertHeldBackAsync();
    }

    [Fact]
    public async Task Check_PinnedCutoffDate_HoldsBackLevelPublishedAfterIt()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1, published: Sim.Now.AddDays(-10));
        Sim.Publish(ModuleFixtures.SignedBySkid, level: 2, published: Sim.Now.AddDays(-2));
        Host.Options.PinCutoff = Sim.Now.AddDays(-5);

        await AssertHeldBackAsync();
    }

    [Fact]
    public async Task Apply_PinnedLevel_StagesTheOlderLevel()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        Sim.Publish(ModuleFixtures.SignedBySkid, level: 2);
        Host.Options.PinLevel = 1;

        HostAssert.Applied(await Host.ApplyAsync());

        Assert.Equal(ModuleFixtures.Signed.Bytes, Host.StagedOrNull("lp_sample"));
    }

    /// <summary>Level 1 is the target, level 2 is listed as held back, and a check loads nothing.</summary>
    private async Task AssertHeldBackAsync()
    {
        var result = await Host.CheckAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("would-apply", result.ActionName);
        Assert.Equal(1, result.Plan!.Target!.Level);
        Assert.Equal(2, Assert.Single(result.Plan.HeldBack).Level);
        Assert.Null(Host.StagedOrNull("lp_sample"));
    }
}
