using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Manifests;

/// <summary>Valid manifests and indexes to start each test from (tests change one thing with <c>with</c>).</summary>
internal static class SampleManifests
{
    public const string BuildId = "0123456789abcdef0123456789abcdef01234567";
    public const string Sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    public static Manifest Manifest() => new()
    {
        Schema = 1,
        Repository = "example-repo",
        Channel = "stable",
        BuildId = BuildId,
        KernelRelease = "6.1.0-28-amd64",
        Version = 42,
        Issued = TestPki.Now.AddHours(-1),
        Expires = TestPki.Now.AddDays(7),
        Patches =
        [
            new ManifestPatch
            {
                Name = "lp_sample", Level = 1, Sha256 = Sha, Size = 12345,
                Signer = "1a:2b:3c:4d", Replace = true, Cves = ["CVE-2024-0001"], Severity = "high",
                Description = "Sample fix", Published = TestPki.Now.AddDays(-2),
            },
            new ManifestPatch
            {
                Name = "lp_sample", Level = 2, Sha256 = Sha, Size = 12400,
                Signer = "1a:2b:3c:4d", Replace = true, Published = TestPki.Now.AddDays(-1),
            },
        ],
        Revoked = [new RevokedPatch { Name = "lp_old", Level = 1, Sha256 = Sha, Reason = "crash", RevokedAt = TestPki.Now.AddDays(-3) }],
    };

    public static RepositoryIndex Index() => new()
    {
        Schema = RepositoryIndex.CurrentSchema,
        Repository = "example-repo",
        Version = 42,
        Issued = TestPki.Now.AddHours(-1),
        Expires = TestPki.Now.AddDays(1),
        Bins = [new IndexBin { Channel = "stable", Prefix = BuildId[..2], Version = 42, Sha256 = Sha, Size = 2048 }],
    };

    public static byte[] Signed(Manifest manifest, params SigningIdentity[] signers) =>
        SignedContent.Sign(ManifestSerializer.Serialize(manifest), LivePatchOids.ManifestContentType,
            signers.Length == 0 ? [TestPki.Instance.ManifestSigner] : signers, TestPki.Now);
}
