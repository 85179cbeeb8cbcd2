using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Tests.Updates;

/// <summary>docs/architecture.md, step 8 and 9 against a hostile repository: a validly signed manifest whose module is wrong in
/// any way is refused with its code, and nothing reaches the loader.</summary>
/// <remarks>Each test starts from a host that applied level 1; the attack offers a bad level 2 in an otherwise valid manifest.</remarks>
public sealed class UpdateEngineModuleAttackTests(SimulatorPki pki) : SimulatorTests(pki)
{
    private const string AnotherKeyId = "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67";

    [Fact]
    public async Task Apply_ModuleBytesDifferFromManifestHash_RefusedHashMismatch()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedBySkid);
        Sim.BlobAttack = BlobAttack.Corrupt;

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.DownloadHashMismatch);
        HostAssert.NothingLoaded(before, Host);
        Assert.Empty(Directory.EnumerateFiles(Host.PartialDirectory)); // wrong bytes are never resumed from
    }

    [Fact]
    public async Task Apply_ModuleLargerThanDeclared_RefusedTooLarge()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedBySkid);
        Sim.BlobAttack = BlobAttack.Oversize;

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.DownloadTooLarge);
        HostAssert.NothingLoaded(before, Host);
    }

    [Fact]
    public async Task Apply_ModuleSignedByKeyOutsideKeyring_RefusedSignerUnknown()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedByOtherKey);

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.SignatureSignerUnknown);
        HostAssert.NothingLoaded(before, Host);
    }

    [Fact]
    public async Task Apply_ModuleSignerNotTheManifestsSigner_RefusedSignerMismatch()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedBySkid, signer: AnotherKeyId);

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.ModuleSignerMismatch);
        HostAssert.NothingLoaded(before, Host);
    }

    [Fact]
    public async Task Apply_ModuleNameNotTheManifestsName_RefusedNameMismatch()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedBySkid, name: "lp_other");

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.ModuleNameMismatch);
        HostAssert.NothingLoaded(before, Host);
    }

    [Fact]
    public async Task Apply_ModuleBuiltForAnotherRelease_RefusedKernelMismatch()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedBySkid);
        Host.SetKernelRelease("6.1.0-99-amd64"); // same build ID on the wire, another vermagic release in the module

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.ModuleKernelMismatch);
        HostAssert.NothingLoaded(before, Host);
    }

    [Fact]
    public async Task Apply_ModuleWithoutLivepatchFlag_RefusedNotLivepatch()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.Plain, name: "plain");

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.ModuleNotLivepatch);
        HostAssert.NothingLoaded(before, Host);
    }

    [Fact]
    public async Task Apply_ModuleUnsigned_RefusedSignatureMissing()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.Unsigned, signer: ModuleFixtures.Signed.KeyId);

        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ErrorCodes.SignatureMissing);
        HostAssert.NothingLoaded(before, Host);
    }

    [Fact]
    public async Task Apply_BadModuleRefused_NextRunRefusesItAgainFromCache()
    {
        var before = await AppliedLevelOneThenOfferAsync(ModuleFixtures.SignedByOtherKey);
        HostAssert.Refused(await Host.ApplyAsync(), ErrorCategory.Refused, ErrorCodes.SignatureSignerUnknown);

        // The refused module is in the content-addressed cache now: a cached file is checked again, never trusted.
        var again = await Host.ApplyAsync();

        HostAssert.Refused(again, ErrorCategory.Refused, ErrorCodes.SignatureSignerUnknown);
        HostAssert.NothingLoaded(before, Host);
    }

    /// <summary>The host applied level 1; the simulator now offers <paramref name="module"/> as level 2 in version 2.</summary>
    private async Task<HostSnapshot> AppliedLevelOneThenOfferAsync(ModuleFixture module, string name = "lp_sample", string? signer = null)
    {
        Sim.Publish(ModuleFixtures.Signed, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());
        Sim.Version = 2;
        Sim.Publish(module, level: 2, name, signer);
        return Host.Snapshot();
    }
}
