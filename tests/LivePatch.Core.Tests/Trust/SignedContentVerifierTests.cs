using System.Text;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Trust;

public sealed class SignedContentVerifierTests
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("{\"schema\":1,\"payload\":\"0123456789\"}");
    private static readonly TestPki Pki = TestPki.Instance;

    private static SignedContentResult Verify(byte[] cms, int threshold = 1, string contentType = LivePatchOids.ManifestContentType) =>
        new SignedContentVerifier(Pki.Policy(threshold), TestPki.Clock()).Verify(cms, contentType);

    private static byte[] Sign(params SigningIdentity[] signers) =>
        SignedContent.Sign(Content, LivePatchOids.ManifestContentType, signers, TestPki.Now);

    private static void AssertRefused(string code, SignedContentResult result)
    {
        Assert.False(result.IsValid);
        Assert.Null(result.Content);
        Assert.Equal(code, result.Issue?.Code);
    }

    [Fact]
    public void Verify_TrustedSigner_IsValid() => Assert.True(Verify(Sign(Pki.ManifestSigner)).IsValid);

    [Fact]
    public void Verify_SignerFromUntrustedRoot_RefusesUntrusted() =>
        AssertRefused(ErrorCodes.SignerUntrusted, Verify(Sign(Pki.UntrustedSigner)));

    [Fact]
    public void Verify_UntrustedRootShippedInCms_RefusesUntrusted()
    {
        var withRoot = Pki.UntrustedSigner with { Intermediates = [Pki.UntrustedRoot] };
        var cms = new System.Security.Cryptography.Pkcs.SignedCms();
        cms.Decode(Sign(withRoot));
        cms.Certificates.Add(Pki.UntrustedRoot);

        AssertRefused(ErrorCodes.SignerUntrusted, Verify(cms.Encode()));
    }

    [Fact]
    public void Verify_SignerWithCodeSigningEku_RefusesWrongEku() =>
        AssertRefused(ErrorCodes.SignerWrongEku, Verify(Sign(Pki.WrongEkuSigner)));

    [Fact]
    public void Verify_SignerWithoutDigitalSignature_RefusesKeyUsage() =>
        AssertRefused(ErrorCodes.SignerKeyUsage, Verify(Sign(Pki.NoDigitalSignatureSigner)));

    [Fact]
    public void Verify_ExpiredSigner_RefusesExpired() =>
        AssertRefused(ErrorCodes.SignerExpired, Verify(Sign(Pki.ExpiredSigner)));

    [Fact]
    public void Verify_NotYetValidSigner_RefusesNotYetValid() =>
        AssertRefused(ErrorCodes.SignerNotYetValid, Verify(Sign(Pki.NotYetValidSigner)));

    [Fact]
    public void Verify_TamperedContent_RefusesSignatureInvalid()
    {
        var cms = Sign(Pki.ManifestSigner);
        var at = cms.AsSpan().IndexOf("0123456789"u8);
        cms[at] ^= 0x01;

        AssertRefused(ErrorCodes.CmsSignatureInvalid, Verify(cms));
    }

    [Fact]
    public void Verify_IndexContentTypeWhenManifestExpected_RefusesWrongContentType()
    {
        var index = SignedContent.Sign(Content, LivePatchOids.RepositoryIndexContentType, [Pki.ManifestSigner], TestPki.Now);

        AssertRefused(ErrorCodes.CmsWrongContentType, Verify(index));
    }

    [Fact]
    public void Verify_Garbage_RefusesMalformed() => AssertRefused(ErrorCodes.CmsMalformed, Verify([0x30, 0x03, 0x02, 0x01]));

    /// <remarks>SignedCms.Decode stops at the end of the ContentInfo; what follows is signed by nothing.</remarks>
    [Theory]
    [InlineData("00")]
    [InlineData("0000")]
    [InlineData("583C4E9B0236")]
    public void Verify_BytesAfterContentInfo_RefusesMalformed(string trailingHex)
    {
        byte[] cms = [.. Sign(Pki.ManifestSigner), .. Convert.FromHexString(trailingHex)];

        AssertRefused(ErrorCodes.CmsMalformed, Verify(cms));
    }

    [Fact]
    public void Verify_Empty_RefusesMalformed() => AssertRefused(ErrorCodes.CmsMalformed, Verify([]));

    [Fact]
    public void Verify_ThresholdTwoOneSigner_RefusesThresholdNotMet() =>
        AssertRefused(ErrorCodes.SignerThresholdNotMet, Verify(Sign(Pki.ManifestSigner), threshold: 2));

    [Fact]
    public void Verify_ThresholdTwoSameSignerTwice_RefusesThresholdNotMet() =>
        AssertRefused(ErrorCodes.SignerThresholdNotMet, Verify(Sign(Pki.ManifestSigner, Pki.ManifestSigner), threshold: 2));

    [Fact]
    public void Verify_ThresholdTwoDistinctSigners_IsValidWithBothSigners()
    {
        var result = Verify(Sign(Pki.ManifestSigner, Pki.SecondSigner), threshold: 2);

        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Equal(2, result.TrustedSigners.Count);
    }

    [Fact]
    public void Verify_ThresholdTwoOneTrustedOneUntrusted_RefusesThresholdNotMet() =>
        AssertRefused(ErrorCodes.SignerThresholdNotMet, Verify(Sign(Pki.ManifestSigner, Pki.UntrustedSigner), threshold: 2));

    [Fact]
    public void Verify_ThresholdOneTrustedAndUntrustedSigner_IsValid() =>
        Assert.True(Verify(Sign(Pki.UntrustedSigner, Pki.ManifestSigner)).IsValid);

    [Fact]
    public void Verify_ThresholdZero_RefusesThresholdNotMet() =>
        AssertRefused(ErrorCodes.SignerThresholdNotMet, Verify(Sign(Pki.ManifestSigner), threshold: 0));

    [Fact]
    public void Verify_NoSignerInfos_RefusesNoSigners()
    {
        var cms = new System.Security.Cryptography.Pkcs.SignedCms();
        cms.Decode(Sign(Pki.ManifestSigner));
        cms.RemoveSignature(0);

        AssertRefused(ErrorCodes.CmsNoSigners, Verify(cms.Encode()));
    }

    [Fact]
    public void Verify_DetachedSignature_RefusesNoContent()
    {
        var cms = new System.Security.Cryptography.Pkcs.SignedCms(
            new System.Security.Cryptography.Pkcs.ContentInfo(new(LivePatchOids.ManifestContentType), Content), detached: true);
        cms.ComputeSignature(new System.Security.Cryptography.Pkcs.CmsSigner(Pki.ManifestSigner.Certificate), silent: true);

        AssertRefused(ErrorCodes.CmsNoContent, Verify(cms.Encode()));
    }
}
