using LivePatch.Client.Loading;
using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Tests.Updates;

/// <summary>What the rewritten engine reports and remembers: holds, operator mistakes, a repository's configuration refusal,
/// a check that runs step 9, revocation notices, the state file's migration and damage, forgetting versions, and manifests a
/// signer should never have signed.</summary>
public sealed class UpdateEngineOutcomeTests(SimulatorPki pki) : SimulatorTests(pki)
{
    private const string Name = "lp_sample";
    private static readonly ModuleFixture Module = ModuleFixtures.Signed;

    [Fact]
    public async Task Apply_AfterRemove_HeldAndNothingStaged()
    {
        Sim.Publish(Module, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        Assert.Equal(UpdateAction.Removed, (await Host.RemoveAsync(Name)).Action);

        var result = await Host.ApplyAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(UpdateAction.Held, result.Action);
        Assert.Contains($"lpatch unhold {Name}", result.Message, StringComparison.Ordinal);
        Assert.Null(Host.StagedOrNull(Name));
        Assert.Equal([Name], Host.State.Holds);
    }

    [Fact]
    public async Task Apply_SameEngineAfterAnotherProcessRemoved_HeldNotAppliedAgainAndHoldKept()
    {
        // The daemon keeps one engine for all its runs; 'lpatch remove' is another process between two of them. The daemon's
        // next run must see the hold, not write back the state it read before the remove and load the patch again.
        Sim.Publish(Module, level: 1);
        var daemon = Host.Engine();
        HostAssert.Applied(await daemon.ApplyAsync(dryRun: false, progress: null, default));
        Assert.Equal(UpdateAction.Removed, (await Host.RemoveAsync(Name)).Action);

        var result = await daemon.ApplyAsync(dryRun: false, progress: null, default);

        Assert.Equal(UpdateAction.Held, result.Action);
        Assert.Null(Host.StagedOrNull(Name));
        Assert.Equal([Name], Host.State.Holds);
        Assert.Empty(Host.State.Applied);
    }

    [Fact]
    public async Task Apply_SameEngineAfterAnotherProcessUnheld_AppliedAgain()
    {
        Sim.Publish(Module, level: 1);
        var daemon = Host.Engine();
        HostAssert.Applied(await daemon.ApplyAsync(dryRun: false, progress: null, default));
        Assert.Equal(UpdateAction.Removed, (await daemon.RemoveAsync(Name, default)).Action);
        Assert.True(Administration().Unhold(Name));

        var result = await daemon.ApplyAsync(dryRun: false, progress: null, default);

        HostAssert.Applied(result);
        Assert.Empty(Host.State.Holds);
    }

    [Fact]
    public async Task Apply_AfterRemoveAndUnhold_AppliedAgain()
    {
        Sim.Publish(Module, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        await Host.RemoveAsync(Name);

        Assert.True(Administration().Unhold(Name));
        var result = await Host.ApplyAsync();

        HostAssert.Applied(result);
        Assert.Equal(Module.Bytes, Host.StagedOrNull(Name));
        Assert.Empty(Host.State.Holds);
    }

    [Fact]
    public void Unhold_NameNotHeld_FalseAndStateUnchanged()
    {
        Assert.False(Administration().Unhold(Name));

        Assert.Empty(Host.State.Holds);
    }

    [Fact]
    public async Task Remove_NameNotApplied_NotAppliedConfigurationErrorAndNothingHeld()
    {
        var result = await Host.RemoveAsync("lp_never");

        Assert.False(result.Succeeded);
        Assert.Equal(LoaderErrorCodes.NotApplied, result.Failure!.Code);
        Assert.Equal(ErrorCategory.Configuration, result.Failure.Category);
        Assert.Equal(2, ErrorCategories.ExitCode(result.Failure.Category));
        Assert.Empty(Host.State.Holds);
    }

    [Fact]
    public async Task Apply_RepositorySaysUnknownChannel_ExitTwoNotUnreachable()
    {
        Sim.Publish(Module, level: 1);
        Sim.ManifestProblem = "unknown-channel";
        var before = Host.Snapshot();

        var result = await Host.ApplyAsync();

        Assert.False(result.Succeeded);
        Assert.Equal("unknown-channel", result.Failure!.Code);
        Assert.NotEqual(ErrorCategory.Unreachable, result.Failure.Category);
        Assert.Contains(result.Failure.Category, new[] { ErrorCategory.NotFound, ErrorCategory.Configuration });
        Assert.Equal(2, ErrorCategories.ExitCode(result.Failure.Category));
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_RepositoryBusyWithAProblemCode_UnreachableNotAConfigurationError()
    {
        // A 429 (after retries) says the repository is busy, not that this host's settings are wrong.
        Sim.Publish(Module, level: 1);
        Sim.ManifestProblem = "rate-limited";
        Sim.ManifestProblemStatus = 429;
        var before = Host.Snapshot();

        var result = await Host.ApplyAsync();

        Assert.Equal(ErrorCategory.Unreachable, result.Failure!.Category);
        Assert.Equal(ClientErrorCodes.RepositoryUnreachable.Code, result.Failure.Code);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Check_ModuleBuiltForAnotherKernelRelease_RefusedKernelMismatch()
    {
        Sim.Publish(Module, level: 1);
        Host.SetKernelRelease("6.1.0-99-amd64");

        var result = await Host.CheckAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.ModuleKernelMismatch);
        Assert.Equal(1, Sim.BlobRequests); // the check downloaded and verified the module, as apply would
        Assert.Null(Host.StagedOrNull(Name));
    }

    [Fact]
    public async Task Check_QuarantinedModule_RefusedQuarantined()
    {
        Sim.Publish(Module, level: 1);
        var failed = await Host.Engine(new FailingLoader()).ApplyAsync(dryRun: false, progress: null, CancellationToken.None);
        Assert.Equal(ErrorCategory.Loader, failed.Failure!.Category);

        var result = await Host.CheckAsync();

        HostAssert.Refused(result, ErrorCategory.Loader, ClientErrorCodes.PatchQuarantined);
        Assert.Equal(4, ErrorCategories.ExitCode(result.Failure!.Category));
    }

    [Fact]
    public async Task Check_HeldPatch_Held()
    {
        Sim.Publish(Module, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        await Host.RemoveAsync(Name);

        var result = await Host.CheckAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(UpdateAction.Held, result.Action);
        Assert.Equal(1, result.Plan!.Held!.Level);
        Assert.Null(Host.StagedOrNull(Name));
    }

    [Fact]
    public async Task Apply_AppliedPatchRevoked_ReasonInResultAndStateNotices()
    {
        var level1 = Sim.Publish(Module, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        Sim.Version = 2;
        var level2 = Sim.Publish(ModuleFixtures.SignedBySkid, level: 2);
        Sim.Revoke(level1);
        Sim.Revoke(level2); // withdrawn before this host ever had it

        var result = await Host.ApplyAsync();

        Assert.Equal(UpdateAction.Removed, result.Action);
        Assert.Contains("breaks the host", result.Message, StringComparison.Ordinal);
        var notices = Host.State.Revocations.OrderBy(r => r.Level).ToList();
        Assert.Equal([(1, level1.Sha256, "breaks the host", true), (2, level2.Sha256, "breaks the host", false)],
            notices.Select(n => (n.Level, n.Sha256, n.Reason, n.WasApplied)));
        Assert.Null(Host.StagedOrNull(Name));
    }

    [Fact]
    public async Task Apply_StateFileIsEmptyObject_LoadsWithDefaultsAndApplies()
    {
        Sim.Publish(Module, level: 1);
        Host.WriteState("{}");

        Assert.Equal(ClientState.CurrentSchema, Host.State.Schema);
        var result = await Host.ApplyAsync();

        HostAssert.Applied(result);
        Assert.Equal(Module.Bytes, Host.StagedOrNull(Name));
        Assert.Equal(Module.Sha256, Assert.Single(Host.State.Applied).Sha256);
    }

    [Fact]
    public async Task Apply_SchemaOneState_MigratedAndRewrittenAsCurrentSchema()
    {
        Sim.Publish(Module, level: 1);
        Directory.CreateDirectory(Host.StageDirectory);
        File.WriteAllBytes(Path.Combine(Host.StageDirectory, Name + ".ko"), Module.Bytes); // what the old version loaded
        Host.WriteState($$"""
            {
              "repositoryId": "{{RepositorySimulator.DefaultRepositoryId}}",
              "versions": { "{{RepositorySimulator.DefaultRepositoryId}}/stable/{{ModuleFixtures.BuildId}}": 1 },
              "applied": [ { "name": "{{Name}}", "level": 1, "sha256": "{{Module.Sha256}}", "buildId": "{{ModuleFixtures.BuildId}}",
                             "cves": [], "appliedAt": "2026-02-28T12:00:00+00:00" } ]
            }
            """);

        var loaded = Host.State;
        Assert.Equal(ClientState.CurrentSchema, loaded.Schema);
        Assert.Null(Assert.Single(loaded.Applied).ModuleDigest);

        var result = await Host.ApplyAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(UpdateAction.None, result.Action); // the record without a digest still matches on its blob
        using var written = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Host.StatePath("state.json")));
        Assert.Equal(ClientState.CurrentSchema, written.RootElement.GetProperty("schema").GetInt32());
        Assert.Equal(Module.Sha256, Assert.Single(Host.State.Applied).Sha256);
    }

    [Fact]
    public async Task Apply_CorruptStateFile_StopsNamingFileAndRepairAndLeavesItAlone()
    {
        Sim.Publish(Module, level: 1);
        Host.WriteState("{\"versions\": {\"lp-sim/stable/x\": ");
        var bytes = File.ReadAllBytes(Host.StatePath("state.json"));

        var error = await Assert.ThrowsAsync<ClientStateException>(() => Host.ApplyAsync());

        Assert.Contains(Host.StatePath("state.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains(StateStore.RepairCommand, error.Message, StringComparison.Ordinal);
        Assert.Equal("lpatch state reset", StateStore.RepairCommand);
        Assert.Null(Host.StagedOrNull(Name));
        Assert.Equal(bytes, File.ReadAllBytes(Host.StatePath("state.json")));
    }

    [Fact]
    public async Task Apply_StateFromNewerSchema_StopsAndLeavesItAlone()
    {
        Sim.Publish(Module, level: 1);
        Host.WriteState("""{ "schema": 99, "somethingNew": true }""");

        var error = await Assert.ThrowsAsync<ClientStateException>(() => Host.ApplyAsync());

        Assert.Contains("schema 99", error.Message, StringComparison.Ordinal);
        Assert.Contains(StateStore.RepairCommand, error.Message, StringComparison.Ordinal);
        Assert.Null(Host.StagedOrNull(Name));
        Assert.Empty(Sim.Requests);
    }

    [Fact]
    public async Task Apply_RepositoryBackToLowVersion_RollbackUntilVersionsForgotten()
    {
        Sim.Version = 9_000_000_000_000; // what a compromised signing key left this host at
        var frozen = await Host.ApplyAsync();
        Assert.True(frozen.Succeeded, frozen.Message);
        Sim.Version = 5;
        Sim.Publish(Module, level: 1);

        var refused = await Host.ApplyAsync();

        HostAssert.Refused(refused, ErrorCategory.Refused, ClientErrorCodes.ManifestRollback);
        Assert.Null(Host.StagedOrNull(Name));

        Assert.Equal(1, Administration().ForgetVersions(RepositorySimulator.DefaultRepositoryId));
        var applied = await Host.ApplyAsync();

        HostAssert.Applied(applied);
        Assert.Equal(Module.Bytes, Host.StagedOrNull(Name));
        Assert.Equal(5UL, Host.State.Versions[ClientState.VersionKey(RepositorySimulator.DefaultRepositoryId, "stable", ModuleFixtures.BuildId)]);
    }

    [Fact]
    public void ForgetVersions_OtherRepository_KeepsThisOnesVersions()
    {
        var key = ClientState.VersionKey(RepositorySimulator.DefaultRepositoryId, "stable", ModuleFixtures.BuildId);
        new StateStore(Host.Options.StateDirectory).Save(new ClientState { Versions = new() { [key] = 7, ["lp-sim-old/stable/ab"] = 3 } });

        // "lp-sim" is a prefix of "lp-sim-old": only the exact repository id goes.
        Assert.Equal(1, Administration().ForgetVersions("lp-sim-old"));

        Assert.Equal(7UL, Assert.Single(Host.State.Versions).Value);
    }

    [Fact]
    public async Task Apply_PatchPublishedIn9999_RefusedMalformedAndNothingLoaded()
    {
        var patch = Sim.Publish(Module, level: 1);
        Sim.Patches[0] = patch with { Published = new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero) };

        await AssertMalformedAsync();
    }

    [Fact]
    public async Task Apply_PatchLevelIntMaxValue_RefusedMalformedAndNothingLoaded()
    {
        var patch = Sim.Publish(Module, level: 1);
        Sim.Patches[0] = patch with { Level = int.MaxValue };

        await AssertMalformedAsync();
    }

    private async Task AssertMalformedAsync()
    {
        var before = Host.Snapshot();

        var result = await Host.ApplyAsync();

        Assert.False(result.Succeeded, result.Message);
        Assert.Equal(ErrorCodes.ManifestMalformed.Code, result.Failure!.Code);
        Assert.Equal(0, Sim.BlobRequests);
        HostAssert.NothingChanged(before, Host);
    }

    private StateAdministration Administration() => new(Host.Options, Host.Clock);

    /// <summary>A loader whose insmod fails: the crash-loop guard quarantines the module.</summary>
    private sealed class FailingLoader : IPatchLoader
    {
        public string Kind => "failing";

        public Task<LoaderResult> ApplyAsync(PatchToApply patch, CancellationToken cancellation) =>
            Task.FromResult(LoaderResult.Failed(LoaderErrorCodes.InsmodFailed, "insmod: exited with 1"));

        public Task<LoaderResult> RemoveAsync(string name, CancellationToken cancellation) =>
            Task.FromResult(LoaderResult.Failed(LoaderErrorCodes.NotApplied, "not loaded"));

        public Task<IReadOnlyList<LoadedPatch>> ListAsync(CancellationToken cancellation) => Task.FromResult<IReadOnlyList<LoadedPatch>>([]);
    }
}
