using System.Text;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Manifests;

public sealed class CoverageBinVerifierTests
{
    private static readonly TestPki Pki = TestPki.Instance;

    private static CoverageBinVerificationResult Verify(byte[] signed, int threshold = 1) =>
        new CoverageBinVerifier(Pki.Policy(threshold), TestPki.Clock()).Verify(signed);

    private static void AssertRefused(string code, CoverageBinVerificationResult result)
    {
        Assert.False(result.IsValid);
        Assert.Null(result.Bin);
        Assert.Equal(code, result.Issue?.Code);
    }

    [Fact]
    public void Verify_SignedFreshBin_ReturnsBin()
    {
        var result = Verify(SampleCoverageBins.Signed(SampleCoverageBins.Bin()));

        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Equal(SampleCoverageBins.Bin().Kernels, result.Bin.Kernels);
        Assert.Single(result.TrustedSigners);
    }

    [Fact]
    public void Verify_SignedManifest_RefusesWrongContentType() =>
        AssertRefused(ErrorCodes.CmsWrongContentType, Verify(SampleManifests.Signed(SampleManifests.Manifest())));

    [Fact]
    public void Verify_SignedIndex_RefusesWrongContentType()
    {
        var index = SignedContent.Sign(ManifestSerializer.Serialize(SampleManifests.Index()),
            LivePatchOids.RepositoryIndexContentType, [Pki.ManifestSigner], TestPki.Now);

        AssertRefused(ErrorCodes.CmsWrongContentType, Verify(index));
    }

    /// <summary>The other direction: a mirror must not answer a manifest request with a (smaller, older) bin.</summary>
    [Fact]
    public void ManifestVerifier_SignedBin_RefusesWrongContentType()
    {
        var result = new ManifestVerifier(Pki.Policy(), TestPki.Clock()).Verify(SampleCoverageBins.Signed(SampleCoverageBins.Bin()));

        Assert.False(result.IsValid);
        Assert.Equal(ErrorCodes.CmsWrongContentType, result.Issue?.Code);
    }

    [Fact]
    public void RepositoryIndexVerifier_SignedBin_RefusesWrongContentType()
    {
        var index = new RepositoryIndexVerifier(Pki.Policy(), TestPki.Clock()).Verify(SampleCoverageBins.Signed(SampleCoverageBins.Bin()), out var issue);

        Assert.Null(index);
        Assert.Equal(ErrorCodes.CmsWrongContentType, issue?.Code);
    }

    /// <summary>Bin JSON signed as a manifest: the content type matches the manifest verifier, the JSON does not.</summary>
    [Fact]
    public void ManifestVerifier_BinJsonUnderManifestContentType_RefusesManifestMalformed()
    {
        var signed = SignedContent.Sign(CoverageBinSerializer.Serialize(SampleCoverageBins.Bin()),
            LivePatchOids.ManifestContentType, [Pki.ManifestSigner], TestPki.Now);

        var result = new ManifestVerifier(Pki.Policy(), TestPki.Clock()).Verify(signed);

        Assert.Equal(ErrorCodes.ManifestMalformed, result.Issue?.Code);
    }

    [Fact]
    public void Verify_SignedUnsortedJson_RefusesCoverageMalformed()
    {
        var json = Encoding.UTF8.GetString(CoverageBinSerializer.Serialize(SampleCoverageBins.Bin()))
            .Replace(SampleCoverageBins.LastBuildId, "0100000000000000ff", StringComparison.Ordinal);
        var signed = SignedContent.Sign(Encoding.UTF8.GetBytes(json), LivePatchOids.CoverageBinContentType, [Pki.ManifestSigner], TestPki.Now);

        AssertRefused(ErrorCodes.CoverageMalformed, Verify(signed));
    }

    [Fact]
    public void Verify_Expired_RefusesCoverageExpired()
    {
        var stale = SampleCoverageBins.Bin() with { Issued = TestPki.Now.AddDays(-2), Expires = TestPki.Now.AddSeconds(-1) };

        AssertRefused(ErrorCodes.CoverageExpired, Verify(SampleCoverageBins.Signed(stale)));
    }

    [Fact]
    public void Verify_ExpiresExactlyNow_RefusesCoverageExpired() =>
        AssertRefused(ErrorCodes.CoverageExpired, Verify(SampleCoverageBins.Signed(SampleCoverageBins.Bin() with { Expires = TestPki.Now })));

    [Fact]
    public void Verify_IssuedBeyondSkew_RefusesCoverageIssuedInFuture() =>
        AssertRefused(ErrorCodes.CoverageIssuedInFuture, Verify(SampleCoverageBins.Signed(SampleCoverageBins.Bin() with { Issued = TestPki.Now.AddMinutes(6) })));

    [Fact]
    public void Verify_UntrustedSigner_RefusesSignerUntrusted() =>
        AssertRefused(ErrorCodes.SignerUntrusted, Verify(SampleCoverageBins.Signed(SampleCoverageBins.Bin(), Pki.UntrustedSigner)));

    [Fact]
    public void Verify_WrongEku_RefusesSignerWrongEku() =>
        AssertRefused(ErrorCodes.SignerWrongEku, Verify(SampleCoverageBins.Signed(SampleCoverageBins.Bin(), Pki.WrongEkuSigner)));

    [Fact]
    public void Verify_ThresholdTwoWithOneSigner_RefusesThresholdNotMet() =>
        AssertRefused(ErrorCodes.SignerThresholdNotMet, Verify(SampleCoverageBins.Signed(SampleCoverageBins.Bin()), threshold: 2));

    [Fact]
    public void Verify_ThresholdTwoWithTwoDistinctSigners_IsValid() =>
        Assert.True(Verify(SampleCoverageBins.Signed(SampleCoverageBins.Bin(), Pki.ManifestSigner, Pki.SecondSigner), 2).IsValid);

    /// <summary>Renaming the host's entry to an absent build ID (same length, still sorted) is what a mirror faking
    /// "not covered" would do: the bin would parse, but the signature no longer covers it.</summary>
    [Fact]
    public void Verify_CoveredEntryRenamedInSignedBin_RefusesSignatureInvalid()
    {
        var signed = SampleCoverageBins.Signed(SampleCoverageBins.Bin());
        var at = signed.AsSpan().IndexOf(Encoding.ASCII.GetBytes(SampleManifests.BuildId));
        Encoding.ASCII.GetBytes(SampleCoverageBins.AbsentBuildId).CopyTo(signed, at);

        AssertRefused(ErrorCodes.CmsSignatureInvalid, Verify(signed));
    }

    /// <remarks>As <see cref="ManifestVerifierTests.Verify_SeededMutationsAndTruncations_NeverThrowsNeverYieldsOtherContent"/>:
    /// the invariant is "refused, or exactly what was signed", since a few re-encodings of unsigned fields are benign.</remarks>
    [Fact]
    public void Verify_SeededMutationsAndTruncations_NeverYieldsOtherContent()
    {
        var bin = SampleCoverageBins.Bin();
        var original = SampleCoverageBins.Signed(bin);
        var verifier = new CoverageBinVerifier(Pki.Policy(), TestPki.Clock());
        var mutator = new Mutator(20260302);
        var codes = new HashSet<string>();
        foreach (var mutated in mutator.Mutations(original, 3000))
        {
            var result = verifier.Verify(mutated);

            if (result.IsValid)
            {
                var content = new SignedContentVerifier(Pki.Policy(), TestPki.Clock()).Verify(mutated, LivePatchOids.CoverageBinContentType).Content;
                Assert.Equal(CoverageBinSerializer.Serialize(bin), content);
                Assert.Equal(CoverageBinSerializer.Serialize(bin), CoverageBinSerializer.Serialize(result.Bin));
                Assert.Equal(Pki.ManifestSigner.Certificate.RawData, Assert.Single(result.TrustedSigners).RawData);
            }

            codes.Add(result.Issue?.Code ?? "valid");
        }

        Assert.Contains(ErrorCodes.CmsMalformed, codes);
    }
}
