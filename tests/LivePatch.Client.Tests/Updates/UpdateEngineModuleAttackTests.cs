using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Tests.Updates;

/// <summary>DESIGN.md client steps 8 and 9 against a hostile repository: a validly signed manifest whose module is wrong in
/// any way is refused with its code, and nothing reaches the loader.</summary>
/// <remarks>Each test starts from a host that applied level 1; the attack offers a bad level 2 in an otherwise valid manifest.</remarks>
public sealed class UpdateEngineModuleAttackTests(SimulatorPki pki) : IClassFixture<SimulatorPki>, IAsyncLifetime
{
    private const string AnotherKeyId = "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67";

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
    public async Task Apply_ModuleBytesDifferFromManifestHash_RefusedHashMismatch()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedBySkid);
        _sim.BlobAttack = BlobAttack.Corrupt;

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ClientErrorCodes.DownloadHashMismatch);
        HostAssert.NothingLoaded(before, _host);
        Assert.Empty(Directory.EnumerateFiles(_host.PartialDirectory)); // wrong bytes are never resumed from
    }

    [Fact]
    public async Task Apply_ModuleLargerThanDeclared_RefusedTooLarge()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedBySkid);
        _sim.BlobAttack = BlobAttack.Oversize;

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ClientErrorCodes.DownloadTooLarge);
        HostAssert.NothingLoaded(before, _host);
    }

    [Fact]
    public async Task Apply_ModuleSignedByKeyOutsideKeyring_RefusedSignerUnknown()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedByOtherKey);

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.SignatureSignerUnknown);
        HostAssert.NothingLoaded(before, _host);
    }

    [Fact]
    public async Task Apply_ModuleSignerNotTheManifestsSigner_RefusedSignerMismatch()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedBySkid, signer: AnotherKeyId);

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ClientErrorCodes.ModuleSignerMismatch);
        HostAssert.NothingLoaded(before, _host);
    }

    [Fact]
    public async Task Apply_ModuleNameNotTheManifestsName_RefusedNameMismatch()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedBySkid, name: "lp_other");

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ClientErrorCodes.ModuleNameMismatch);
        HostAssert.NothingLoaded(before, _host);
    }

    [Fact]
    public async Task Apply_ModuleBuiltForAnotherRelease_RefusedKernelMismatch()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedBySkid);
        _host.SetKernelRelease("6.1.0-99-amd64"); // same build ID on the wire, another vermagic release in the module

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ClientErrorCodes.ModuleKernelMismatch);
        HostAssert.NothingLoaded(before, _host);
    }

    [Fact]
    public async Task Apply_ModuleWithoutLivepatchFlag_RefusedNotLivepatch()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.Plain, name: "plain");

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.ModuleNotLivepatch);
        HostAssert.NothingLoaded(before, _host);
    }

    [Fact]
    public async Task Apply_ModuleUnsigned_RefusedSignatureMissing()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.Unsigned, signer: ModuleFixtures.Signed.KeyId);

        var result = await _host.ApplyAsync();

        HostAssert.Refused(result, FailureKind.Verification, ErrorCodes.SignatureMissing);
        HostAssert.NothingLoaded(before, _host);
    }

    [Fact]
    public async Task Apply_BadModuleRefused_NextRunRefusesItAgainFromCache()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedByOtherKey);
        HostAssert.Refused(await _host.ApplyAsync(), FailureKind.Verification, ErrorCodes.SignatureSignerUnknown);

        // The refused module is in the content-addressed cache now: a cached file is checked again, never trusted.
        var again = await _host.ApplyAsync();

        HostAssert.Refused(again, FailureKind.Verification, ErrorCodes.SignatureSignerUnknown);
        HostAssert.NothingLoaded(before, _host);
    }

    /// <summary>The host applied level 1; the simulator now offers <paramref name="module"/> as level 2 in version 2.</summary>
    private async Task<HostSnapshot> AppliedLevelOneThenOfferAsync(ModuleFixture module, string name = "lp_sample", string? signer = null)
    {
        _sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await _host.ApplyAsync());
        _sim.Version = 2;
        _sim.Publish(module, level: 2, name, signer);
        return _host.Snapshot();
    }
}
