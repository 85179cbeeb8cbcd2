using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Text;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Trust;

/// <summary>The short path for documents by a signer the full path already accepted: it must accept exactly what the full
/// path accepts for those documents, and defer (null) on anything else.</summary>
public sealed class KnownSignersTests
{
    private static readonly TestPki Pki = TestPki.Instance;

    private static byte[] Sign(string text, params SigningIdentity[] signers) =>
        SignedContent.Sign(Encoding.UTF8.GetBytes(text), LivePatchOids.ManifestContentType, signers, TestPki.Now);

    /// <summary>A KnownSigners that learned <paramref name="signer"/> from one document, as the verifier does.</summary>
    private static KnownSigners Learned(SigningIdentity signer, int threshold = 1)
    {
        var known = new KnownSigners(Pki.Policy(threshold));
        var first = Sign("{\"first\":1}", signer);
        var result = new SignedContentVerifier(Pki.Policy(), TestPki.Clock()).Verify(first, LivePatchOids.ManifestContentType);
        Assert.True(result.IsValid);
        known.Learn(SignedDataLayout.ReadOrNull(first)!, [signer.Certificate], result.Memo!);
        return known;
    }

    private static SignedContentResult? TryVerify(KnownSigners known, byte[] cms, DateTimeOffset? at = null,
        string contentType = LivePatchOids.ManifestContentType) =>
        SignedDataLayout.ReadOrNull(cms) is { } layout ? known.TryVerify(cms, layout, contentType, at ?? TestPki.Now) : null;

    [Fact]
    public void TryVerify_OtherDocumentOfLearnedSigner_ReturnsContentSignerAndMemo()
    {
        var cms = Sign("{\"second\":2}", Pki.ManifestSigner);

        var result = TryVerify(Learned(Pki.ManifestSigner), cms);

        Assert.NotNull(result);
        Assert.True(result.IsValid);
        Assert.Equal("{\"second\":2}", Encoding.UTF8.GetString(result.Content));
        Assert.Equal(Pki.ManifestSigner.Certificate.RawData, Assert.Single(result.TrustedSigners).RawData);
        Assert.Equal(SignatureMemo.HashOf(cms), result.Memo!.CmsSha256);
        Assert.True(result.Memo.Covers(SignatureMemo.HashOf(cms), SignatureMemo.Fingerprint(Pki.Policy()), TestPki.Now));
    }

    [Fact]
    public void TryVerify_RsaSigner_ReturnsContent() =>
        Assert.True(TryVerify(Learned(Pki.RsaSigner), Sign("{\"rsa\":1}", Pki.RsaSigner))?.IsValid);

    [Fact]
    public void TryVerify_NothingLearned_Defers() =>
        Assert.Null(TryVerify(new KnownSigners(Pki.Policy()), Sign("{}", Pki.ManifestSigner)));

    [Fact]
    public void TryVerify_SignerWithOtherCertificates_Defers() =>
        Assert.Null(TryVerify(Learned(Pki.ManifestSigner), Sign("{}", Pki.SecondSigner)));

    [Fact]
    public void TryVerify_OtherContentType_Defers() =>
        Assert.Null(TryVerify(Learned(Pki.ManifestSigner), Sign("{}", Pki.ManifestSigner), contentType: LivePatchOids.RepositoryIndexContentType));

    [Fact]
    public void TryVerify_AfterTheLearnedWindow_Defers()
    {
        var known = Learned(Pki.ManifestSigner);
        var cms = Sign("{}", Pki.ManifestSigner);

        Assert.Null(TryVerify(known, cms, at: TestPki.Now.AddYears(20)));
        Assert.Null(TryVerify(known, cms, at: TestPki.Now.AddYears(-20)));
    }

    [Fact]
    public void TryVerify_ThresholdAboveSigners_Defers() =>
        Assert.Null(TryVerify(Learned(Pki.ManifestSigner, threshold: 2), Sign("{}", Pki.ManifestSigner)));

    [Fact]
    public void TryVerify_ContentReplaced_Defers()
    {
        var cms = Sign("{\"level\":1}", Pki.ManifestSigner);
        var at = IndexOf(cms, Encoding.UTF8.GetBytes("\"level\":1"));
        cms[at + 8] = (byte)'9';

        Assert.Null(TryVerify(Learned(Pki.ManifestSigner), cms));
    }

    [Fact]
    public void TryVerify_UnsignedAttributesOrCrls_Defers()
    {
        var signed = new SignedCms();
        signed.Decode(Sign("{}", Pki.ManifestSigner));
        signed.SignerInfos[0].AddUnsignedAttribute(new AsnEncodedData("1.2.3.4", [0x05, 0x00]));

        Assert.Null(TryVerify(Learned(Pki.ManifestSigner), signed.Encode()));
    }

    /// <summary>The property that matters: with a signer learned, every damaged document gets the same answer (valid or
    /// not, and the same code) as from a verifier that never saw that signer and so takes the full path.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Verify_EveryByteDamaged_LearnedVerifierAnswersAsFullPath(bool rsa)
    {
        var signer = rsa ? Pki.RsaSigner : Pki.ManifestSigner;
        var learned = new SignedContentVerifier(Pki.Policy(), TestPki.Clock());
        Assert.True(learned.Verify(Sign("{\"first\":1}", signer), LivePatchOids.ManifestContentType).IsValid);
        var cms = Sign("{\"second\":2}", signer);
        var fast = 0;

        for (var i = 0; i < cms.Length; i++)
        {
            foreach (var flip in (byte[])[0x01, 0x80])
            {
                var damaged = (byte[])cms.Clone();
                damaged[i] ^= flip;
                var expected = new SignedContentVerifier(Pki.Policy(), TestPki.Clock()).Verify(damaged, LivePatchOids.ManifestContentType);
                var actual = learned.Verify(damaged, LivePatchOids.ManifestContentType);

                Assert.True(expected.IsValid == actual.IsValid, $"byte {i} ^ 0x{flip:x2}: full path {expected.Issue?.Code ?? "valid"}, learned {actual.Issue?.Code ?? "valid"}");
                Assert.Equal(expected.Issue?.Code, actual.Issue?.Code);
                fast += actual.IsValid ? 1 : 0;
            }
        }

        // Flips in unsigned, unchecked parts (none here but signature malleability) may stay valid; most must not.
        Assert.True(fast < cms.Length / 10, $"{fast} damaged documents stayed valid");
    }

    [Fact]
    public void Verify_LearnedSignerExpiredSince_RefusesExpired()
    {
        var clock = TestPki.Clock();
        var verifier = new SignedContentVerifier(Pki.Policy(), clock);
        Assert.True(verifier.Verify(Sign("{\"first\":1}", Pki.ManifestSigner), LivePatchOids.ManifestContentType).IsValid);

        clock.Advance(TimeSpan.FromDays(365 * 6)); // past the signer's notAfter (issued for five years)
        var later = Sign("{\"later\":1}", Pki.ManifestSigner);
        var result = verifier.Verify(later, LivePatchOids.ManifestContentType);

        Assert.False(result.IsValid);
        Assert.Equal(ErrorCodes.SignerExpired, result.Issue?.Code);
        Assert.Equal(new SignedContentVerifier(Pki.Policy(), clock).Verify(later, LivePatchOids.ManifestContentType).Issue?.Code, result.Issue?.Code);
    }

    [Fact]
    public void ReadOrNull_TrailingBytesOrBer_ReturnsNull()
    {
        var cms = Sign("{}", Pki.ManifestSigner);

        Assert.NotNull(SignedDataLayout.ReadOrNull(cms));
        Assert.Null(SignedDataLayout.ReadOrNull((byte[])[.. cms, 0x00]));
        Assert.Null(SignedDataLayout.ReadOrNull(AsIndefiniteLength(cms)));
    }

    /// <summary>The same ContentInfo with its outer length indefinite (BER, X.690 §8.1.3.6): SignedCms reads it, DER does not.</summary>
    private static byte[] AsIndefiniteLength(byte[] der)
    {
        AsnDecoder.ReadEncodedValue(der, AsnEncodingRules.DER, out var contentOffset, out var contentLength, out _);
        return [0x30, 0x80, .. der.AsSpan(contentOffset, contentLength), 0x00, 0x00];
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
