using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Trust;

public sealed class TrustPolicyTests
{
    [Fact]
    public void New_Defaults_ThresholdOneManifestEkuFiveMinutes()
    {
        var policy = new TrustPolicy { Roots = [] };

        Assert.Equal(1, policy.SignerThreshold);
        Assert.Equal(LivePatchOids.ManifestSigningEku, policy.RequiredEku);
        Assert.Equal(TimeSpan.FromMinutes(5), policy.MaxClockSkew);
    }

    [Fact]
    public void LoadRoots_PemFiles_ReturnsEveryCertificate()
    {
        var dir = Directory.CreateTempSubdirectory("lp-roots-");
        try
        {
            var both = Path.Combine(dir.FullName, "both.pem");
            File.WriteAllText(both, TestPki.Instance.RootPem() + "\n" + TestPki.Instance.UntrustedRoot.ExportCertificatePem() + "\n");

            var roots = TrustPolicy.LoadRoots([both]);

            Assert.Equal(2, roots.Count);
            Assert.False(roots[0].HasPrivateKey);
            Assert.Equal(TestPki.Instance.Root.Thumbprint, roots[0].Thumbprint);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void LoadRoots_FileWithoutCertificate_Throws()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a certificate\n");

            Assert.Throws<InvalidDataException>(() => TrustPolicy.LoadRoots([path]));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
