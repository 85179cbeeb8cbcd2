using System.Diagnostics;
using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Tests.Updates;

/// <summary>docs/architecture.md, step 2 to 6 against a hostile repository: every forged, stale, replayed or mixed-up manifest is
/// refused with its code, before anything reaches the loader and without changing what the host trusts.</summary>
/// <remarks>Each test starts from a host that applied level 1 (manifest version 1); the attack offers level 2 in version 2.</remarks>
public sealed class UpdateEngineManifestAttackTests(SimulatorPki pki) : SimulatorTests(pki)
{
    [Fact]
    public async Task Apply_ManifestTampered_RefusedCmsInvalid()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Sim.ManifestAttack = ManifestAttack.Tamper;

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.CmsSignatureInvalid, ErrorCodes.CmsMalformed);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_ManifestTruncated_RefusedCmsMalformed()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Sim.ManifestAttack = ManifestAttack.Truncate;

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.CmsMalformed);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_SignedUnderUntrustedRoot_RefusedSignerUntrusted()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Sim.Signers = [Pki.UntrustedSigner];

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.SignerUntrusted);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_SignerWithoutManifestEku_RefusedSignerWrongEku()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Sim.Signers = [Pki.WrongEkuSigner];

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.SignerWrongEku);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_SignerCertificateExpired_RefusedSignerExpired()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Sim.Signers = [Pki.ExpiredSigner];

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.SignerExpired);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_ThresholdTwoOneSigner_RefusedThresholdNotMet()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Host.Options.SignerThreshold = 2;

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.SignerThresholdNotMet);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_ThresholdTwoTwoTrustedSigners_Applied()
    {
        await AppliedLevelOneThenOfferLevelTwoAsync();
        Host.Options.SignerThreshold = 2;
        Sim.Signers = [Pki.ManifestSigner, Pki.SecondSigner];

        HostAssert.Applied(await Host.ApplyAsync());
        Assert.Equal(ModuleFixtures.SignedBySkid.Bytes, Host.StagedOrNull("lp_sample"));
    }

    [Fact]
    public async Task Apply_ManifestExpired_RefusedManifestExpired()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        (Sim.Issued, Sim.Expires) = (Sim.Now.AddDays(-8), Sim.Now.AddMinutes(-1));

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.ManifestExpired);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_ManifestIssuedInFuture_RefusedIssuedInFuture()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        (Sim.Issued, Sim.Expires) = (Sim.Now.AddHours(1), Sim.Now.AddDays(8)); // beyond the 5 minutes of skew

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.ManifestIssuedInFuture);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_OlderVersionReplayed_RefusedRollbackAndVersionKept()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        Sim.Version = 4;
        var recorded = Sim.SignedManifest(); // validly signed, still fresh: all an attacker has to keep
        Sim.Version = 5;
        HostAssert.Applied(await Host.ApplyAsync());
        var before = Host.Snapshot();
        Sim.Replay = recorded;

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.ManifestRollback);
        HostAssert.NothingChanged(before, Host);
        Assert.Equal(5UL, Assert.Single(Host.State.Versions).Value);
    }

    [Fact]
    public async Task Apply_AnotherKernelsManifest_RefusedWrongBuildId()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Sim.BuildId = "0123456789abcdef0123456789abcdef01234567";

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.ManifestWrongBuildId);
        HostAssert.NothingChanged(before, Host);
        Assert.EndsWith($"/stable/{ModuleFixtures.BuildId}", Sim.Requests[^1].Path); // it asked for its own kernel
    }

    [Fact]
    public async Task Apply_AnotherChannelsManifest_RefusedWrongChannel()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Sim.Channel = "beta";

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.ManifestWrongChannel);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_AnotherRepositorysManifestAfterFirstContact_RefusedWrongRepository()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Assert.Equal(RepositorySimulator.DefaultRepositoryId, Host.State.RepositoryId); // pinned on first contact
        Sim.RepositoryId = "another-vendor-repo";

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.ManifestWrongRepository);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_AnotherRepositorysManifestWithIdConfigured_RefusedOnFirstContact()
    {
        Host.Options.RepositoryId = RepositorySimulator.DefaultRepositoryId;
        Sim.RepositoryId = "another-vendor-repo";
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        var before = Host.Snapshot();

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.ManifestWrongRepository);
        HostAssert.NothingChanged(before, Host);
        Assert.Null(Host.State.RepositoryId);
    }

    [Fact]
    public async Task Apply_EndlessManifest_RefusedTooLargeWithoutReadingItAll()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Sim.ManifestAttack = ManifestAttack.Endless;
        var clock = Stopwatch.StartNew();

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.ManifestTooLarge);
        HostAssert.NothingChanged(before, Host);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.True(await Sim.EndlessEnded.WaitAsync(TimeSpan.FromSeconds(5)), "the client did not hang up; the server's limit ended it");
        Assert.Equal(2, Sim.ManifestRequests); // the baseline's and the attack's: a refusal is not retried
    }

    /// <summary>The host applied level 1 from version 1; the simulator now offers level 2 (another good module) in version 2.</summary>
    private async Task<HostSnapshot> AppliedLevelOneThenOfferLevelTwoAsync()
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        Assert.Equal(ModuleFixtures.Signed.Bytes, Host.StagedOrNull("lp_sample"));
        Sim.Version = 2;
        Sim.Publish(ModuleFixtures.SignedBySkid, level: 2);
        return Host.Snapshot();
    }
}
