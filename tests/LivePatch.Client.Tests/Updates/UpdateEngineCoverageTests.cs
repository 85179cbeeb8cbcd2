using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Tests.Updates;

/// <summary>Step 2's coverage bin (docs/manifests.md, "Coverage bins"): on a manifest 404 the host fetches the signed bin of its
/// kernel's prefix and verifies it like a manifest. Absent from a genuine, current bin is "not covered" (exit 0, nothing
/// loaded or removed, recorded); every forged, stale, replayed or mixed-up bin is refused with its code and changes nothing.</summary>
public sealed class UpdateEngineCoverageTests(SimulatorPki pki) : SimulatorTests(pki)
{
    [Fact]
    public async Task Apply_KernelNotCovered_NotCoveredExitZeroNothingLoadedAndRecorded()
    {
        Sim.Covered = false;
        Sim.Version = 7;
        Sim.AlsoCovered.AddRange([Neighbour('0'), Neighbour('f')]); // the bin lists others of this prefix, not this kernel
        var before = Host.Snapshot();

        var result = await Host.ApplyAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(UpdateAction.NotCovered, result.Action);
        Assert.Equal("not-covered", result.ActionName);
        Assert.Null(result.Failure); // exit 0
        Assert.Equal($"repository {RepositorySimulator.DefaultRepositoryId} has no live patches for kernel {ModuleFixtures.KernelRelease} " +
            $"({ModuleFixtures.BuildId}) in channel stable, as of {Sim.Now.AddHours(-1):u} (coverage bin {Sim.KernelPrefix} version 7)", result.Message);
        Assert.Equal(before.Staged, Host.Snapshot().Staged);
        Assert.Equal(0, Sim.BlobRequests);
        Assert.Equal($"/v1/coverage/stable/{Sim.KernelPrefix}", Sim.Requests[^1].Path);
        AssertRecordedNotCovered(binVersion: 7);
        Assert.Equal("not-covered", Host.State.LastCheck!.Outcome);
    }

    [Fact]
    public async Task Check_ServerSaysKernelNotCovered_VerifiesBinAndNotCovered()
    {
        Sim.Covered = false;
        Sim.NotCoveredProblem = true; // the repository's own 404 is no more trusted than a mirror's: the bin decides

        var result = await Host.CheckAsync();

        Assert.Equal(UpdateAction.NotCovered, result.Action);
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(1, Sim.CoverageRequests);
        AssertRecordedNotCovered(binVersion: 1);
    }

    [Fact]
    public async Task Apply_PatchAppliedThenKernelNoLongerCovered_PatchStaysLoaded()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        var before = Host.Snapshot();
        Sim.Covered = false;
        Sim.Version = 2;

        var result = await Host.ApplyAsync();

        Assert.Equal(UpdateAction.NotCovered, result.Action);
        Assert.Equal(before.Staged, Host.Snapshot().Staged);
        Assert.Equal(before.Applied, Host.Snapshot().Applied);
        Assert.Equal(ModuleFixtures.Signed.Bytes, Host.StagedOrNull("lp_sample"));
    }

    [Fact]
    public async Task Apply_NotCoveredThenCovered_AppliedAndRecordCleared()
    {
        Sim.Covered = false;
        Assert.Equal(UpdateAction.NotCovered, (await Host.ApplyAsync()).Action);
        Sim.Covered = true;
        Sim.Version = 2;
        Sim.Publish(ModuleFixtures.Signed, level: 1);

        HostAssert.Applied(await Host.ApplyAsync());

        Assert.Null(Host.State.NotCovered);
    }

    [Fact]
    public async Task Check_NotCoveredTwice_BinAskedWithETagAndStillNotCovered()
    {
        Sim.Covered = false;
        await Host.CheckAsync();

        var again = await Host.CheckAsync();

        Assert.Equal(UpdateAction.NotCovered, again.Action);
        var bins = Sim.Requests.Where(r => r.Path.StartsWith("/v1/coverage/", StringComparison.Ordinal)).ToList();
        Assert.Equal([200, 304], bins.Select(r => r.Status));
        Assert.NotNull(bins[1].IfNoneMatch);
    }

    [Fact]
    public async Task Apply_ManifestWithheld_RefusedWithheldNamingRepositoryAndVersion()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        Sim.Version = 3;
        Sim.WithholdManifest = true;
        var before = Host.Snapshot();

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.ManifestWithheld);
        Assert.Contains($"repository {RepositorySimulator.DefaultRepositoryId}", result.Failure!.Message, StringComparison.Ordinal);
        Assert.Contains("manifest version 3", result.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, Sim.BlobRequests);
        HostAssert.NothingLoaded(before, Host);
        Assert.Null(Host.State.NotCovered);
        Assert.Equal(3UL, Assert.Single(Host.State.CoverageVersions).Value); // the bin was genuine: an older one is refused from now on
    }

    [Fact]
    public async Task Apply_OlderBinReplayedAfterNewerAccepted_RefusedRollbackAndStateUnchanged()
    {
        Sim.Covered = false;
        Sim.BinVersion = 4;
        var recorded = Sim.SignedCoverageBin(); // validly signed, still fresh: all an attacker has to keep
        Sim.BinVersion = 5;
        Assert.Equal(UpdateAction.NotCovered, (await Host.ApplyAsync()).Action);
        var before = Host.Snapshot();
        Sim.BinReplay = recorded;

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.CoverageRollback);
        HostAssert.NothingChanged(before, Host);
        Assert.Equal(5UL, Assert.Single(Host.State.CoverageVersions).Value);
    }

    [Fact]
    public async Task Apply_BinOlderThanTheKernelsAcceptedManifest_RefusedRollbackPatchStays()
    {
        // A host that never fetched a bin: the replayed bin predates the kernel's coverage, so its version is below the
        // manifest the host already accepted (versions are repository-wide; bins are signed after their manifests).
        Sim.Version = 7;
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        var before = Host.Snapshot();
        Sim.Covered = false;
        Sim.BinVersion = 5;

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.CoverageRollback);
        HostAssert.NothingChanged(before, Host);
        Assert.Empty(Host.State.CoverageVersions);
    }

    [Fact]
    public async Task Apply_BinOfAnotherChannel_RefusedWrongChannel()
    {
        await AssertBinRefusedAsync(() => Sim.BinChannel = "beta", ErrorCodes.CoverageWrongChannel);
    }

    [Fact]
    public async Task Apply_BinOfAnotherPrefix_RefusedWrongPrefix()
    {
        // The real bin of another prefix: it never lists this kernel, so taken for this one it would say "not covered".
        await AssertBinRefusedAsync(() => Sim.BinPrefix = Sim.KernelPrefix == "00" ? "01" : "00", ErrorCodes.CoverageWrongPrefix);
    }

    [Fact]
    public async Task Apply_BinOfAnotherRepositoryWithIdConfigured_RefusedWrongRepository()
    {
        Host.Options.RepositoryId = RepositorySimulator.DefaultRepositoryId;

        await AssertBinRefusedAsync(() => Sim.BinRepositoryId = "another-vendor-repo", ErrorCodes.CoverageWrongRepository);
    }

    [Fact]
    public async Task Apply_BinOfAnotherRepositoryAfterFirstContact_RefusedWrongRepository()
    {
        Sim.Covered = false;
        Assert.Equal(UpdateAction.NotCovered, (await Host.ApplyAsync()).Action);
        Assert.Equal(RepositorySimulator.DefaultRepositoryId, Host.State.RepositoryId); // pinned by the first verified bin

        await AssertBinRefusedAsync(() => Sim.BinRepositoryId = "another-vendor-repo", ErrorCodes.CoverageWrongRepository);
    }

    [Fact]
    public async Task Apply_BinExpired_RefusedCoverageExpired()
    {
        await AssertBinRefusedAsync(() => (Sim.BinIssued, Sim.BinExpires) = (Sim.Now.AddDays(-8), Sim.Now.AddMinutes(-1)),
            ErrorCodes.CoverageExpired);
    }

    [Fact]
    public async Task Apply_BinIssuedInFuture_RefusedIssuedInFuture()
    {
        await AssertBinRefusedAsync(() => (Sim.BinIssued, Sim.BinExpires) = (Sim.Now.AddHours(1), Sim.Now.AddDays(8)),
            ErrorCodes.CoverageIssuedInFuture);
    }

    [Fact]
    public async Task Apply_MirrorDropsKernelAndSignsBinItself_RefusedSignerUntrusted()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);

        await AssertBinRefusedAsync(() =>
        {
            (Sim.Covered, Sim.WithholdManifest) = (true, true);
            Sim.DropKernelFromBin = true;
            Sim.BinSigners = [Pki.UntrustedSigner];
        }, ErrorCodes.SignerUntrusted);
    }

    [Fact]
    public async Task Apply_BinTampered_RefusedCmsSignatureInvalid()
    {
        await AssertBinRefusedAsync(() => Sim.TamperBin = true, ErrorCodes.CmsSignatureInvalid);
    }

    [Fact]
    public async Task Apply_ManifestPresentedAsBin_RefusedWrongContentType()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);

        await AssertBinRefusedAsync(() =>
        {
            (Sim.Covered, Sim.WithholdManifest) = (true, true);
            Sim.BinReplay = Sim.SignedManifest();
        }, ErrorCodes.CmsWrongContentType);
    }

    [Fact]
    public async Task Apply_BinMissing_CoverageNotFoundExitThree()
    {
        Sim.Covered = false;
        Sim.BinMissing = true;
        var before = Host.Snapshot();

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Unreachable, ClientErrorCodes.CoverageNotFound);
        Assert.Equal(3, ErrorCategories.ExitCode(result.Failure!.Category));
        HostAssert.NothingChanged(before, Host);
    }

    [Theory]
    [InlineData("not-found")] // a mirror-mode server whose tree lacks the bin
    [InlineData("NoSuchKey")] // an object store's or proxy's own error document
    public async Task Apply_BinNotFoundWithAProblemCode_CoverageNotFoundExitThreeLikeABare404(string code)
    {
        Sim.Covered = false;
        Sim.BinProblem = code;
        var before = Host.Snapshot();

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Unreachable, ClientErrorCodes.CoverageNotFound);
        Assert.Equal(3, ErrorCategories.ExitCode(result.Failure!.Category));
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_BinAnsweredUnknownChannel_ConfigurationErrorExitTwo()
    {
        Sim.Covered = false;
        Sim.BinProblem = "unknown-channel";
        var before = Host.Snapshot();

        var result = await Host.ApplyAsync();

        Assert.Equal("unknown-channel", result.Failure!.Code);
        Assert.Equal(2, ErrorCategories.ExitCode(result.Failure.Category));
        HostAssert.NothingChanged(before, Host);
    }

    [Theory]
    [InlineData("not-found")]
    [InlineData("NoSuchKey")]
    public async Task Check_ManifestNotFoundWithAProblemCode_BinDecidesNotCovered(string code)
    {
        Sim.Covered = false;
        Sim.ManifestProblem = code;

        var result = await Host.CheckAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(UpdateAction.NotCovered, result.Action);
        Assert.Equal(1, Sim.CoverageRequests);
        AssertRecordedNotCovered(binVersion: 1);
    }

    [Fact]
    public async Task Check_ManifestNotFoundWithAProblemCodeButListedInBin_ManifestWithheld()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        Sim.ManifestProblem = "not-found"; // whatever the 404 says, the signed bin lists the kernel

        var result = await Host.CheckAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.ManifestWithheld);
        Assert.Equal(0, Sim.BlobRequests);
    }

    [Fact]
    public async Task Apply_BinLargerThanLimit_RefusedCoverageTooLarge()
    {
        Host.Options.MaxManifestBytes = 256;

        await AssertBinRefusedAsync(() => { }, ClientErrorCodes.CoverageTooLarge);
    }

    [Fact]
    public async Task Apply_SchemaTwoState_MigratedKeepingVersionsAndBinVersionAdded()
    {
        var manifestKey = ClientState.VersionKey(RepositorySimulator.DefaultRepositoryId, "stable", ModuleFixtures.BuildId);
        Host.WriteState($$"""
            { "schema": 2, "repositoryId": "{{RepositorySimulator.DefaultRepositoryId}}", "versions": { "{{manifestKey}}": 1 } }
            """);
        Assert.Empty(Host.State.CoverageVersions);
        Sim.Covered = false;
        Sim.Version = 2;

        Assert.Equal(UpdateAction.NotCovered, (await Host.ApplyAsync()).Action);

        using var written = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Host.StatePath("state.json")));
        Assert.Equal(3, written.RootElement.GetProperty("schema").GetInt32());
        Assert.Equal(1UL, Host.State.Versions[manifestKey]);
        AssertRecordedNotCovered(binVersion: 2);
    }

    [Fact]
    public async Task ForgetVersions_AfterNotCovered_ForgetsBinVersionsToo()
    {
        Sim.Covered = false;
        Sim.Version = 9_000_000_000_000; // what a compromised signing key left this host at
        await Host.ApplyAsync();

        Assert.Equal(1, new StateAdministration(Host.Options, Host.Clock).ForgetVersions(RepositorySimulator.DefaultRepositoryId));
        Sim.Version = 5;

        Assert.Equal(UpdateAction.NotCovered, (await Host.ApplyAsync()).Action);
        Assert.Equal(5UL, Assert.Single(Host.State.CoverageVersions).Value);
    }

    /// <summary>The kernel not covered (unless <paramref name="attack"/> says otherwise), a bin newer than any accepted before,
    /// changed by <paramref name="attack"/>: refused with <paramref name="code"/>, nothing loaded, nothing trusted or recorded anew.</summary>
    private async Task AssertBinRefusedAsync(Action attack, string code)
    {
        Sim.Covered = false;
        Sim.BinVersion = 9;
        attack();
        var before = Host.Snapshot();

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, code);
        HostAssert.NothingChanged(before, Host);
        Assert.StartsWith("/v1/coverage/", Sim.Requests[^1].Path, StringComparison.Ordinal); // refused for what the bin said
        Assert.Equal(0, Sim.BlobRequests);
    }

    private void AssertRecordedNotCovered(ulong binVersion)
    {
        var record = Host.State.NotCovered;
        Assert.NotNull(record);
        Assert.Equal((RepositorySimulator.DefaultRepositoryId, "stable", ModuleFixtures.BuildId, ModuleFixtures.KernelRelease, Sim.KernelPrefix, binVersion),
            (record.Repository, record.Channel, record.BuildId, record.Release, record.Prefix, record.BinVersion));
        Assert.Equal(Sim.Url.ToString(), record.Server);
        Assert.Equal(binVersion, Host.State.CoverageVersions[ClientState.CoverageKey(RepositorySimulator.DefaultRepositoryId, "stable", Sim.KernelPrefix)]);
    }

    /// <summary>Another build ID in the kernel's bin, sorting before ('0') or after ('f') it.</summary>
    private static string Neighbour(char fill) => ModuleFixtures.BuildId[..2] + new string(fill, ModuleFixtures.BuildId.Length - 2);
}
