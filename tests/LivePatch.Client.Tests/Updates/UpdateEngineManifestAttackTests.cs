using System.Diagnostics;
using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Tests.Updates;

/// <summary>DESIGN.md client steps 2 to 6 against a hostile repository: every forged, stale, replayed or mixed-up manifest is
/// refused with its code, before anything reaches the loader and without changing what the host trusts.</summary>
/// <remarks>Each test starts from a host that applied level 1 (manifest version 1); the attack offers level 2 in version 2.</remarks>
public sealed class UpdateEngineManifestAttackTests(SimulatorPki pki) : IClassFixture<SimulatorPki>, IAsyncLifetime
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
    public async Task Apply_ManifestTampered_RefusedCmsInvalid()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        _sim.ManifestAttack = ManifestAttack.Tamper;

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.CmsSignatureInvalid, ErrorCodes.CmsMalformed);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Apply_ManifestTruncated_RefusedCmsMalformed()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        _sim.ManifestAttack = ManifestAttack.Truncate;

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.CmsMalformed);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Apply_SignedUnderUntrustedRoot_RefusedSignerUntrusted()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        _sim.Signers = [pki.UntrustedSigner];

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.SignerUntrusted);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Apply_SignerWithoutManifestEku_RefusedSignerWrongEku()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        _sim.Signers = [pki.WrongEkuSigner];

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.SignerWrongEku);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Apply_SignerCertificateExpired_RefusedSignerExpired()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        _sim.Signers = [pki.ExpiredSigner];

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.SignerExpired);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Apply_ThresholdTwoOneSigner_RefusedThresholdNotMet()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        _host.Options.SignerThreshold = 2;

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.SignerThresholdNotMet);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Apply_ThresholdTwoTwoTrustedSigners_Applied()
    {
        await AppliedLevelOneThenOfferLevelTwoAsync();
        _host.Options.SignerThreshold = 2;
        _sim.Signers = [pki.ManifestSigner, pki.SecondSigner];

        HostAssert.Applied(await _host.ApplyAsync());
        Assert.Equal(ModuleFixtures.SignedBySkid.Bytes, _host.StagedOrNull("lp_sample"));
    }

    [Fact]
    public async Task Apply_ManifestExpired_RefusedManifestExpired()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        (_sim.Issued, _sim.Expires) = (_sim.Now.AddDays(-8), _sim.Now.AddMinutes(-1));

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.ManifestExpired);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Apply_ManifestIssuedInFuture_RefusedIssuedInFuture()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        (_sim.Issued, _sim.Expires) = (_sim.Now.AddHours(1), _sim.Now.AddDays(8)); // beyond the 5 minutes of skew

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.ManifestIssuedInFuture);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Apply_OlderVersionReplayed_RefusedRollbackAndVersionKept()
    {
        _sim.Publish(ModuleFixtures.Signed, level: 1);
        _sim.Version = 4;
        var recorded = _sim.SignedManifest(); // validly signed, still fresh: all an attacker has to keep
        _sim.Version = 5;
        HostAssert.Applied(await _host.ApplyAsync());
        var before = _host.Snapshot();
        _sim.Replay = recorded;

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ClientErrorCodes.ManifestRollback);
        HostAssert.NothingChanged(before, _host);
        Assert.Equal(5UL, Assert.Single(_host.State.Versions).Value);
    }

    [Fact]
    public async Task Apply_AnotherKernelsManifest_RefusedWrongBuildId()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        _sim.BuildId = "0123456789abcdef0123456789abcdef01234567";

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.ManifestWrongBuildId);
        HostAssert.NothingChanged(before, _host);
        Assert.EndsWith($"/stable/{ModuleFixtures.BuildId}", _sim.Requests[^1].Path); // it asked for its own kernel
    }

    [Fact]
    public async Task Apply_AnotherChannelsManifest_RefusedWrongChannel()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        _sim.Channel = "beta";

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.ManifestWrongChannel);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Apply_AnotherRepositorysManifestAfterFirstContact_RefusedWrongRepository()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        Assert.Equal(RepositorySimulator.DefaultRepositoryId, _host.State.RepositoryId); // pinned on first contact
        _sim.RepositoryId = "another-vendor-repo";

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.ManifestWrongRepository);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Apply_AnotherRepositorysManifestWithIdConfigured_RefusedOnFirstContact()
    {
        _host.Options.RepositoryId = RepositorySimulator.DefaultRepositoryId;
        _sim.RepositoryId = "another-vendor-repo";
        _sim.Publish(ModuleFixtures.Signed, level: 1);
        var before = _host.Snapshot();

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.ManifestWrongRepository);
        HostAssert.NothingChanged(before, _host);
        Assert.Null(_host.State.RepositoryId);
    }

    [Fact]
    public async Task Apply_EndlessManifest_RefusedTooLargeWithoutReadingItAll()
    {
        var before = await AppliedLevelOneThenOfferLevelTwoAsync();
        _sim.ManifestAttack = ManifestAttack.Endless;
        var clock = Stopwatch.StartNew();

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ClientErrorCodes.ManifestTooLarge);
        HostAssert.NothingChanged(before, _host);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.True(await _sim.EndlessEnded.WaitAsync(TimeSpan.FromSeconds(5)), "the client did not hang up; the server's limit ended it");
        Assert.Equal(2, _sim.ManifestRequests); // the baseline's and the attack's: a refusal is not retried
    }

    /// <summary>The host applied level 1 from version 1; the simulator now offers level 2 (another good module) in version 2.</summary>
    private async Task<HostSnapshot> AppliedLevelOneThenOfferLevelTwoAsync()
    {
        _sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await _host.ApplyAsync());
        Assert.Equal(ModuleFixtures.Signed.Bytes, _host.StagedOrNull("lp_sample"));
        _sim.Version = 2;
        _sim.Publish(ModuleFixtures.SignedBySkid, level: 2);
        return _host.Snapshot();
    }
}
