using System.Text;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Manifests;

public sealed class ManifestVerifierTests
{
    private static readonly TestPki Pki = TestPki.Instance;

    private static ManifestVerificationResult Verify(byte[] signed, int threshold = 1) =>
        new ManifestVerifier(Pki.Policy(threshold), TestPki.Clock()).Verify(signed);

    private static void AssertRefused(string code, ManifestVerificationResult result)
    {
        Assert.False(result.IsValid);
        Assert.Null(result.Manifest);
        Assert.Equal(code, result.Issue?.Code);
    }

    [Fact]
    public void Verify_SignedFreshManifest_ReturnsManifest()
    {
        var result = Verify(SampleManifests.Signed(SampleManifests.Manifest()));

        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Equal(42UL, result.Manifest.Version);
        Assert.Single(result.TrustedSigners);
    }

    [Fact]
    public void Verify_Expired_RefusesManifestExpired()
    {
        var stale = SampleManifests.Manifest() with { Issued = TestPki.Now.AddDays(-8), Expires = TestPki.Now.AddSeconds(-1) };

        AssertRefused(ErrorCodes.ManifestExpired, Verify(SampleManifests.Signed(stale)));
    }

    [Fact]
    public void Verify_ExpiresExactlyNow_RefusesManifestExpired()
    {
        var stale = SampleManifests.Manifest() with { Expires = TestPki.Now };

        AssertRefused(ErrorCodes.ManifestExpired, Verify(SampleManifests.Signed(stale)));
    }

    [Fact]
    public void Verify_IssuedBeyondSkew_RefusesIssuedInFuture()
    {
        var future = SampleManifests.Manifest() with { Issued = TestPki.Now.AddMinutes(6) };

        AssertRefused(ErrorCodes.ManifestIssuedInFuture, Verify(SampleManifests.Signed(future)));
    }

    [Fact]
    public void Verify_IssuedWithinSkew_IsValid()
    {
        var slightlyAhead = SampleManifests.Manifest() with { Issued = TestPki.Now.AddMinutes(4) };

        Assert.True(Verify(SampleManifests.Signed(slightlyAhead)).IsValid);
    }

    [Fact]
    public void Verify_SignedMalformedJson_RefusesManifestMalformed()
    {
        var signed = SignedContent.Sign("{\"schema\":1,"u8, LivePatchOids.ManifestContentType, [Pki.ManifestSigner], TestPki.Now);

        AssertRefused(ErrorCodes.ManifestMalformed, Verify(signed));
    }

    [Fact]
    public void Verify_SignedIndex_RefusesWrongContentType()
    {
        var index = SignedContent.Sign(ManifestSerializer.Serialize(SampleManifests.Index()),
            LivePatchOids.RepositoryIndexContentType, [Pki.ManifestSigner], TestPki.Now);

        AssertRefused(ErrorCodes.CmsWrongContentType, Verify(index));
    }

    [Fact]
    public void Verify_UntrustedSigner_RefusesSignerUntrusted() =>
        AssertRefused(ErrorCodes.SignerUntrusted, Verify(SampleManifests.Signed(SampleManifests.Manifest(), Pki.UntrustedSigner)));

    [Fact]
    public void Verify_ThresholdTwoWithTwoDistinctSigners_IsValid() =>
        Assert.True(Verify(SampleManifests.Signed(SampleManifests.Manifest(), Pki.ManifestSigner, Pki.SecondSigner), 2).IsValid);

    [Fact]
    public void Verify_TamperedVersion_RefusesSignatureInvalid()
    {
        var signed = SampleManifests.Signed(SampleManifests.Manifest());
        var at = signed.AsSpan().IndexOf("\"version\":42"u8) + "\"version\":4".Length;
        signed[at] = (byte)'3';

        AssertRefused(ErrorCodes.CmsSignatureInvalid, Verify(signed));
    }

    /// <remarks>
    /// The original is signed with fresh keys each run, so the mutations land on different bytes every run. A
    /// one-byte overwrite that writes the byte already there changes nothing (CI once saw "mutation 74 verified":
    /// it wrote 'm' over the 'm' of "Test intermediate CA" in the SignerInfo sid), and a few real changes decode to
    /// the same values (<see cref="Verify_SignerIdentifierIssuerRetagged_RefusedOrUnchanged"/>). So the invariant is
    /// not "never valid" but "never valid for anything other than what was signed": that fails for a real
    /// malleability whichever bytes this run produced, and a benign re-encoding does not make it flaky.
    /// </remarks>
    [Fact]
    public void Verify_SeededMutationsAndTruncations_NeverThrowsNeverYieldsOtherContent()
    {
        var original = SampleManifests.Signed(SampleManifests.Manifest());
        var verifier = new ManifestVerifier(Pki.Policy(), TestPki.Clock());
        var random = new Random(20260301);
        var codes = new HashSet<string>();
        for (var i = 0; i < 3000; i++)
        {
            var mutated = Mutate(original, random);

            var result = verifier.Verify(mutated);

            AssertRefusedOrUnchanged(mutated, result, $"mutation {i}");
            codes.Add(result.Issue?.Code ?? "valid");
        }

        Assert.Contains(ErrorCodes.CmsMalformed, codes);
    }

    /// <summary>The seeded fuzz found this: random bytes inserted before the last byte, the first equal to it.</summary>
    [Fact]
    public void Verify_BytesAppendedAfterSignedManifest_RefusesCmsMalformed()
    {
        var signed = SampleManifests.Signed(SampleManifests.Manifest());
        byte[] appended = [.. signed, 0x58, 0x3C, 0x4E, 0x9B, 0x02, signed[^1]];

        AssertRefused(ErrorCodes.CmsMalformed, Verify(appended));
    }

    /// <remarks>
    /// The sid (RFC 5652 §5.3) is not signed, and SignedCms finds the signer certificate by the issuer name as
    /// a string, so PrintableString, T61String, IA5String and UTF8String tags all find the same certificate;
    /// today this verifies. It is benign: the signature is still checked with that certificate's key and its
    /// chain to a pinned root, so neither the content nor the signer can change. Refusing it would also pass.
    /// </remarks>
    [Theory]
    [InlineData(0x0C)]
    [InlineData(0x14)]
    [InlineData(0x16)]
    public void Verify_SignerIdentifierIssuerRetagged_RefusedOrUnchanged(byte stringTag)
    {
        var signed = SampleManifests.Signed(SampleManifests.Manifest());
        byte[] issuerCommonName = [0x13, 0x14, .. "Test intermediate CA"u8];
        // The last occurrence is the sid: SignerInfos follow the certificates that also name this issuer.
        var at = signed.AsSpan().LastIndexOf(issuerCommonName);
        Assert.True(at > 0, "issuer common name not found");
        signed[at] = stringTag;

        AssertRefusedOrUnchanged(signed, Verify(signed), $"sid issuer tagged 0x{stringTag:X2}");
    }

    /// <summary>Mutated bytes are refused, or verify to exactly the signed content, manifest and signer.</summary>
    private static void AssertRefusedOrUnchanged(byte[] mutated, ManifestVerificationResult result, string what)
    {
        if (!result.IsValid)
        {
            Assert.Null(result.Manifest);
            return;
        }

        var content = ManifestSerializer.Serialize(SampleManifests.Manifest());
        var signedContent = new SignedContentVerifier(Pki.Policy(), TestPki.Clock()).Verify(mutated, LivePatchOids.ManifestContentType);
        Assert.True(signedContent.Content.AsSpan().SequenceEqual(content), $"{what} verified with different content");
        Assert.True(ManifestSerializer.Serialize(result.Manifest).AsSpan().SequenceEqual(content), $"{what} verified as a different manifest");
        var signer = Assert.Single(result.TrustedSigners);
        Assert.Equal(Pki.ManifestSigner.Certificate.RawData, signer.RawData);
    }

    [Fact]
    public void Verify_EveryByteFlipped_NeverValid()
    {
        var original = SampleManifests.Signed(SampleManifests.Manifest());
        var verifier = new ManifestVerifier(Pki.Policy(), TestPki.Clock());
        for (var i = 0; i < original.Length; i++)
        {
            var mutated = (byte[])original.Clone();
            mutated[i] ^= 0x01;

            Assert.False(verifier.Verify(mutated).IsValid, $"flipping byte {i} still verified");
        }
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(4))
        {
            case 0:
                return bytes[..random.Next(bytes.Length)];
            case 1:
                for (var n = random.Next(1, 4); n > 0; n--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                }

                return bytes;
            case 2:
                var at = random.Next(bytes.Length);
                return [.. bytes[..at], .. RandomBytes(random, random.Next(1, 16)), .. bytes[at..]];
            default:
                var start = random.Next(bytes.Length);
                random.NextBytes(bytes.AsSpan(start, Math.Min(bytes.Length - start, random.Next(1, 64))));
                return bytes;
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void Verify_RandomGarbage_RefusesCmsMalformed() =>
        AssertRefused(ErrorCodes.CmsMalformed, Verify(Encoding.UTF8.GetBytes("{\"schema\":1}")));
}
