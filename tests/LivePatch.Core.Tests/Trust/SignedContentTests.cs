using System.Security.Cryptography.Pkcs;
using System.Text;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Trust;

public sealed class SignedContentTests
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("{\"hello\":\"world\"}");
    private static readonly TestPki Pki = TestPki.Instance;

    [Fact]
    public void Sign_OneSigner_VerifiesAndReturnsContent()
    {
        var cms = SignedContent.Sign(Content, LivePatchOids.ManifestContentType, [Pki.ManifestSigner], TestPki.Now);

        var result = new SignedContentVerifier(Pki.Policy(), TestPki.Clock()).Verify(cms, LivePatchOids.ManifestContentType);

        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Equal(Content, result.Content);
        Assert.Equal(Pki.ManifestSigner.Certificate, Assert.Single(result.TrustedSigners));
    }

    [Fact]
    public void Sign_WithIntermediate_ShipsChainWithoutRoot()
    {
        var cms = new SignedCms();
        cms.Decode(SignedContent.Sign(Content, LivePatchOids.ManifestContentType, [Pki.ManifestSigner, Pki.SecondSigner], TestPki.Now));

        var thumbprints = cms.Certificates.Select(c => c.Thumbprint).ToList();
        Assert.Equal(3, thumbprints.Count);
        Assert.Contains(Pki.Intermediate.Thumbprint, thumbprints);
        Assert.DoesNotContain(Pki.Root.Thumbprint, thumbprints);
    }

    [Fact]
    public void Sign_Always_HasContentTypeDigestAndSigningTimeAttributes()
    {
        var cms = new SignedCms();
        cms.Decode(SignedContent.Sign(Content, LivePatchOids.RepositoryIndexContentType, [Pki.ManifestSigner], TestPki.Now));

        var signer = Assert.Single(cms.SignerInfos.Cast<SignerInfo>());
        var oids = signer.SignedAttributes.Cast<System.Security.Cryptography.CryptographicAttributeObject>().Select(a => a.Oid.Value).ToList();
        Assert.Contains("1.2.840.113549.1.9.3", oids);
        Assert.Contains("1.2.840.113549.1.9.4", oids);
        Assert.Contains("1.2.840.113549.1.9.5", oids);
        Assert.Equal(SignedContent.Sha256Oid, signer.DigestAlgorithm.Value);
        Assert.Equal(LivePatchOids.RepositoryIndexContentType, cms.ContentInfo.ContentType.Value);
    }

    [Fact]
    public void Sign_NoSigners_Throws() =>
        Assert.Throws<ArgumentException>(() => SignedContent.Sign(Content, LivePatchOids.ManifestContentType, [], TestPki.Now));

    [Fact]
    public void Sign_TwoSigners_OpenSslCmsVerifyAccepts()
    {
        var cms = SignedContent.Sign(Content, LivePatchOids.ManifestContentType, [Pki.ManifestSigner, Pki.SecondSigner], TestPki.Now);

        var result = OpenSslCms.Verify(cms, Pki.RootPem());

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(Content, result.Content);
    }
}
