using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LivePatch.Core.Manifests;
using LivePatch.Core.Tests.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Trust;

public sealed class SignedContentSignerTests
{
    private const string SigningTimeOid = "1.2.840.113549.1.9.5";
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("{\"schema\":1,\"patches\":[]}");
    private static readonly TestPki Pki = TestPki.Instance;

    /// <summary>The signer sets the tests sign with, by name (xunit data stays readable).</summary>
    private static SigningIdentity[] Signers(string name) => name switch
    {
        "ecdsa" => [Pki.ManifestSigner],
        "rsa" => [Pki.RsaSigner],
        "two-ecdsa" => [Pki.ManifestSigner, Pki.SecondSigner],
        "two-rsa" => [Pki.RsaSigner, Pki.SecondRsaSigner],
        "rsa-and-ecdsa" => [Pki.RsaSigner, Pki.ManifestSigner],
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static byte[] Sign(string signers, byte[]? content = null, DateTimeOffset? at = null)
    {
        using var signer = new SignedContentSigner(Signers(signers));
        return signer.Sign(content ?? Content, LivePatchOids.ManifestContentType, at ?? TestPki.Now);
    }

    [Theory]
    [InlineData("ecdsa")]
    [InlineData("rsa")]
    [InlineData("two-ecdsa")]
    [InlineData("rsa-and-ecdsa")]
    public void Sign_AnySigners_SignedCmsChecksEverySignature(string signers)
    {
        var cms = new SignedCms();
        cms.Decode(Sign(signers));

        cms.CheckSignature(verifySignatureOnly: true);
        Assert.Equal(Signers(signers).Length, cms.SignerInfos.Count);
        Assert.Equal(Content, cms.ContentInfo.Content);
    }

    [Theory]
    [InlineData("ecdsa")]
    [InlineData("two-ecdsa")]
    [InlineData("rsa-and-ecdsa")]
    public void Sign_AnySigners_SameStructureAsSignedCms(string signers)
    {
        var expected = SignedCmsReference.Sign(Content, LivePatchOids.ManifestContentType, Signers(signers), TestPki.Now);

        var actual = Sign(signers);

        // ECDSA signatures differ on every call; everything else must be the same bytes.
        Assert.Equal(Skeleton(expected), Skeleton(actual));
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("two-rsa")]
    public void Sign_RsaSigners_SameBytesAsSignedCms(string signers)
    {
        // PKCS#1 v1.5 signatures are deterministic, so the whole output can be compared.
        var expected = SignedCmsReference.Sign(Content, LivePatchOids.ManifestContentType, Signers(signers), TestPki.Now);

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Sign(signers)));
    }

    [Theory]
    [InlineData("ecdsa")]
    [InlineData("rsa")]
    [InlineData("two-ecdsa")]
    [InlineData("rsa-and-ecdsa")]
    public void Sign_AnySigners_OpenSslCmsVerifyAccepts(string signers)
    {
        var result = OpenSslCms.Verify(Sign(signers), Pki.RootPem());

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(Content, result.Content);
    }

    [Fact]
    public void Sign_Manifest_ManifestVerifierAccepts()
    {
        var manifest = SampleManifests.Manifest();
        using var signer = new SignedContentSigner([Pki.ManifestSigner]);

        var signed = signer.Sign(ManifestSerializer.Serialize(manifest), LivePatchOids.ManifestContentType, manifest.Issued);
        var result = new ManifestVerifier(Pki.Policy(), TestPki.Clock()).Verify(signed);

        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Equal(manifest.Version, result.Manifest.Version);
    }

    [Fact]
    public void Sign_RsaAndEcdsaSigners_MeetThresholdOfTwo()
    {
        var result = new SignedContentVerifier(Pki.Policy(threshold: 2), TestPki.Clock())
            .Verify(Sign("rsa-and-ecdsa"), LivePatchOids.ManifestContentType);

        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Equal(2, result.TrustedSigners.Count);
    }

    [Fact]
    public void Sign_OneContentByteChanged_EveryVerifierRefuses()
    {
        var signed = Sign("two-ecdsa");
        var at = signed.AsSpan().IndexOf(Content);
        Assert.True(at > 0);
        signed[at + 1] ^= 0x01;

        var cms = new SignedCms();
        cms.Decode(signed);
        Assert.ThrowsAny<CryptographicException>(() => cms.CheckSignature(verifySignatureOnly: true));
        var result = new SignedContentVerifier(Pki.Policy(), TestPki.Clock()).Verify(signed, LivePatchOids.ManifestContentType);
        Assert.Equal(ErrorCodes.CmsSignatureInvalid, result.Issue?.Code);
        Assert.NotEqual(0, OpenSslCms.Verify(signed, Pki.RootPem()).ExitCode);
    }

    [Theory]
    [InlineData("2050-01-01T00:00:00+00:00", "20500101000000Z")]
    [InlineData("1949-12-31T23:59:59.9+00:00", "19491231235959Z")]
    [InlineData("2100-06-15T08:30:00.5+02:00", "21000615063000Z")]
    public void Sign_TimeOutside1950To2049_WritesGeneralizedTime(string time, string expected)
    {
        var signed = Sign("ecdsa", at: DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal((UniversalTagNumber.GeneralizedTime, expected), SigningTime(signed));
        var cms = new SignedCms();
        cms.Decode(signed);
        cms.CheckSignature(verifySignatureOnly: true);
        Assert.True(OpenSslCms.Verify(signed, Pki.RootPem()).ExitCode == 0);
        Assert.True(new SignedContentVerifier(Pki.Policy(), TestPki.Clock()).Verify(signed, LivePatchOids.ManifestContentType).IsValid);
    }

    [Theory]
    [InlineData("1950-01-01T00:00:00+00:00", "500101000000Z")]
    [InlineData("2049-12-31T23:59:59.9999999+00:00", "491231235959Z")]
    [InlineData("2050-01-01T01:00:00+02:00", "491231230000Z")]
    [InlineData("2026-03-01T12:00:00.75+00:00", "260301120000Z")]
    public void Sign_TimeWithin1950To2049_WritesUtcTimeInWholeSeconds(string time, string expected)
    {
        var signed = Sign("ecdsa", at: DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal((UniversalTagNumber.UtcTime, expected), SigningTime(signed));
    }

    [Fact]
    public void Sign_FractionalSeconds_SameSigningTimeAsSignedCms()
    {
        // A manifest's issued has a fraction; SignedCms dropped it, and hosts compare issued with nothing else, but
        // the attribute must not move to the next second.
        var at = TestPki.Now.AddTicks(TimeSpan.TicksPerSecond - 1);

        var expected = SignedCmsReference.Sign(Content, LivePatchOids.ManifestContentType, [Pki.ManifestSigner], at);

        Assert.Equal(SigningTime(expected), SigningTime(Sign("ecdsa", at: at)));
    }

    [Fact]
    public void Constructor_RootAndDuplicatesAmongSigners_ShipsEachNonRootCertificateOnce()
    {
        var withRoot = Pki.ManifestSigner with { Intermediates = [Pki.Intermediate, Pki.Root] };
        using var signer = new SignedContentSigner([withRoot, Pki.ManifestSigner, Pki.SecondSigner]);

        var cms = new SignedCms();
        cms.Decode(signer.Sign(Content, LivePatchOids.ManifestContentType, TestPki.Now));

        var thumbprints = cms.Certificates.Select(c => c.Thumbprint).Order().ToList();
        var expected = new[] { Pki.ManifestSigner.Certificate, Pki.Intermediate, Pki.SecondSigner.Certificate }.Select(c => c.Thumbprint).Order().ToList();
        Assert.Equal(expected, thumbprints);
        Assert.Equal(3, cms.SignerInfos.Count);
    }

    [Fact]
    public void Sign_ManyThreadsAtOnce_EverySignatureVerifies()
    {
        using var signer = new SignedContentSigner([Pki.ManifestSigner, Pki.RsaSigner]);
        var verifier = new SignedContentVerifier(Pki.Policy(threshold: 2), TestPki.Clock());
        var failures = 0;

        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var content = Encoding.UTF8.GetBytes($"{{\"document\":{i}}}");
            var result = verifier.Verify(signer.Sign(content, LivePatchOids.ManifestContentType, TestPki.Now), LivePatchOids.ManifestContentType);
            if (!result.IsValid || !result.Content.AsSpan().SequenceEqual(content))
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.Equal(0, failures);
    }

    [Fact]
    public void Constructor_NoSigners_Throws() =>
        Assert.Throws<ArgumentException>(() => new SignedContentSigner([]));

    [Fact]
    public void Constructor_CertificateWithoutPrivateKey_Throws()
    {
        using var publicOnly = X509CertificateLoader.LoadCertificate(Pki.ManifestSigner.Certificate.RawData);

        Assert.Throws<ArgumentException>(() => new SignedContentSigner([new SigningIdentity { Certificate = publicOnly }]));
    }

    [Fact]
    public void Sign_AfterDispose_Throws()
    {
        var signer = new SignedContentSigner([Pki.ManifestSigner]);
        signer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => signer.Sign(Content, LivePatchOids.ManifestContentType, TestPki.Now));
    }

    /// <summary>The signingTime attribute's value: which time type, and its text.</summary>
    private static (UniversalTagNumber Type, string Text) SigningTime(byte[] signed)
    {
        var cms = new SignedCms();
        cms.Decode(signed);
        var attribute = cms.SignerInfos[0].SignedAttributes.Cast<CryptographicAttributeObject>().Single(a => a.Oid.Value == SigningTimeOid);
        var value = Assert.Single(attribute.Values.Cast<AsnEncodedData>()).RawData;
        Assert.Equal(value.Length - 2, value[1]); // one tag byte, one length byte, then the characters
        return ((UniversalTagNumber)value[0], Encoding.ASCII.GetString(value, 2, value[1]));
    }

    /// <summary>The encoding of everything but the signature values: the SignedData fields before signerInfos, then each
    /// SignerInfo without its signature (sorted, since DER orders SignerInfos by their bytes, signature included).</summary>
    private static string Skeleton(byte[] signed)
    {
        var contentInfo = new AsnReader(signed, AsnEncodingRules.DER).ReadSequence();
        var head = new StringBuilder(contentInfo.ReadObjectIdentifier());
        var signedData = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
        for (var field = 0; field < 3 || signedData.PeekTag().TagClass == TagClass.ContextSpecific; field++)
        {
            // version, digestAlgorithms, encapContentInfo, then certificates [0] (and crls [1], which neither writes)
            head.Append(' ').Append(Convert.ToHexString(signedData.ReadEncodedValue().Span));
        }

        var signerInfos = new List<string>();
        var set = signedData.ReadSetOf();
        while (set.HasData)
        {
            var signerInfo = set.ReadSequence();
            var fields = new List<string>();
            while (signerInfo.HasData)
            {
                fields.Add(Convert.ToHexString(signerInfo.ReadEncodedValue().Span));
            }

            fields[^1] = "(signature)";
            signerInfos.Add(string.Join(' ', fields));
        }

        Assert.False(signedData.HasData);
        return string.Join('\n', [head.ToString(), .. signerInfos.Order(StringComparer.Ordinal)]);
    }
}
