using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Manifests;

/// <summary>A valid coverage bin to start each test from: prefix "01", covering <see cref="SampleManifests.BuildId"/>.</summary>
internal static class SampleCoverageBins
{
    public const string Prefix = "01";
    public const string FirstBuildId = "0100000000000000";
    public const string LastBuildId = "01ffffffffffffffffffffffffffffffffffffff";

    /// <summary>In the bin's prefix and between its entries, but not covered.</summary>
    public const string AbsentBuildId = "0150000000000000000000000000000000000000";

    public static CoverageBin Bin() => new()
    {
        Schema = 1,
        Repository = "example-repo",
        Channel = "stable",
        Prefix = Prefix,
        Version = 42,
        Issued = TestPki.Now.AddHours(-1),
        Expires = TestPki.Now.AddDays(1),
        Kernels = [Kernel(FirstBuildId, 7), Kernel(SampleManifests.BuildId, 42), Kernel(LastBuildId, 40)],
    };

    public static CoveredKernel Kernel(string buildId, ulong version = 1) =>
        new() { BuildId = buildId, Version = version, Sha256 = SampleManifests.Sha, Size = 2048 };

    public static byte[] Signed(CoverageBin bin, params SigningIdentity[] signers) =>
        SignedContent.Sign(CoverageBinSerializer.Serialize(bin), LivePatchOids.CoverageBinContentType,
            signers.Length == 0 ? [TestPki.Instance.ManifestSigner] : signers, TestPki.Now);
}
