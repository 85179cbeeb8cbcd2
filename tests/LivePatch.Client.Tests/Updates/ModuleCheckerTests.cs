using System.Security.Cryptography;
using LivePatch.Client.Updates;
using LivePatch.Core;
using LivePatch.Core.Kernel;
using LivePatch.Core.Manifests;
using LivePatch.Core.Signing;

namespace LivePatch.Client.Tests.Updates;

/// <summary>Step 9 on downloaded bytes built from the fixtures: what passes comes back as the decompressed module and its
/// digest; each way to be wrong has its code.</summary>
public sealed class ModuleCheckerTests
{
    private const int MaxModuleBytes = 64 * 1024 * 1024;

    private static readonly HostKernel Kernel = new(BuildId.Parse(ModuleFixtures.BuildId), ModuleFixtures.KernelRelease);

    [Fact]
    public void Check_SignedLivepatchModule_VerifiedWithItsBytesAndDigest()
    {
        var fixture = ModuleFixtures.Signed;

        var (module, failure) = Checker().Check(Downloaded(fixture), Kernel);

        Assert.Null(failure);
        Assert.Equal(fixture.Bytes, module!.Plain.ToArray());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(fixture.Bytes)), module.Digest);
        Assert.Equal(fixture.Sha256, module.Patch.Sha256);
    }

    [Fact]
    public void Check_GzippedModule_PlainIsTheUncompressedModule()
    {
        var gzipped = ModuleFixtures.Signed.Gzipped();

        var (module, failure) = Checker().Check(Downloaded(gzipped), Kernel);

        Assert.Null(failure);
        Assert.Equal(ModuleFixtures.Signed.Bytes, module!.Plain.ToArray());
        // The identity is the module's, not the container's: the same as the uncompressed blob's.
        Assert.Equal(ModuleFixtures.Signed.Sha256, module.Digest);
        Assert.NotEqual(gzipped.Sha256, module.Digest);
    }

    [Fact]
    public void Check_Unsigned_RefusedSignatureMissing()
    {
        AssertRefused(Checker().Check(Downloaded(ModuleFixtures.Unsigned, signer: ModuleFixtures.Signed.KeyId), Kernel), ErrorCodes.SignatureMissing);
    }

    [Fact]
    public void Check_SignedByKeyNotInKeyring_RefusedSignerUnknown()
    {
        AssertRefused(Checker().Check(Downloaded(ModuleFixtures.SignedByOtherKey), Kernel), ErrorCodes.SignatureSignerUnknown);
    }

    [Fact]
    public void Check_SignedByAnotherKeyThanTheManifestNames_RefusedSignerMismatch()
    {
        AssertRefused(Checker().Check(Downloaded(ModuleFixtures.Signed, signer: "01:02:03"), Kernel), ClientErrorCodes.ModuleSignerMismatch);
    }

    [Fact]
    public void Check_OrdinaryModuleNotLivepatch_RefusedNotLivepatch()
    {
        AssertRefused(Checker().Check(Downloaded(ModuleFixtures.Plain, name: "plain"), Kernel), ErrorCodes.ModuleNotLivepatch);
    }

    [Fact]
    public void Check_ManifestNamesAnotherModule_RefusedNameMismatch()
    {
        AssertRefused(Checker().Check(Downloaded(ModuleFixtures.Signed, name: "lp_other"), Kernel), ClientErrorCodes.ModuleNameMismatch);
    }

    [Fact]
    public void Check_VermagicForAnotherKernelRelease_RefusedKernelMismatch()
    {
        var otherKernel = Kernel with { Release = "6.1.0-99-amd64" };

        AssertRefused(Checker().Check(Downloaded(ModuleFixtures.Signed), otherKernel), ClientErrorCodes.ModuleKernelMismatch);
    }

    [Fact]
    public void Check_GzipDecompressesBeyondTheLimit_RefusedFileTooLarge()
    {
        // The container is small; what it expands to is what the limit bounds (a decompression bomb).
        var gzipped = ModuleFixtures.Signed.Gzipped();
        var limit = ModuleFixtures.Signed.Bytes.Length - 1;
        Assert.True(gzipped.Size < limit);

        var (module, failure) = new ModuleChecker(Keyring(), limit).Check(Downloaded(gzipped), Kernel);

        Assert.Null(module);
        Assert.Equal(ErrorCodes.FileTooLarge.Code, failure!.Code);
    }

    private static void AssertRefused((VerifiedModule? Module, UpdateFailure? Failure) outcome, ErrorCode expected)
    {
        Assert.Null(outcome.Module);
        Assert.NotNull(outcome.Failure);
        Assert.Equal(expected.Code, outcome.Failure.Code);
        Assert.Equal(ErrorCategory.Refused, outcome.Failure.Category);
    }

    private static ModuleChecker Checker() => new(Keyring(), MaxModuleBytes);

    private static ModuleKeyring Keyring() => ModuleKeyring.Load([FixtureFiles.PathOf("keys", "rsa2048.pem")]);

    private static DownloadedModule Downloaded(ModuleFixture fixture, string name = "lp_sample", string? signer = null) => new(new ManifestPatch
    {
        Name = name,
        Level = 1,
        Sha256 = fixture.Sha256,
        Size = fixture.Size,
        Signer = signer ?? fixture.KeyId ?? "00:00",
        Replace = false,
        Published = SimulatorPki.Now.AddDays(-1),
    }, fixture.Bytes);
}
