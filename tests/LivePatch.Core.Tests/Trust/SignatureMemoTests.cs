using System.Text;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Trust;

public sealed class SignatureMemoTests
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("{\"schema\":1,\"payload\":\"memo\"}");
    private static readonly TestPki Pki = TestPki.Instance;

    private static byte[] Sign(SigningIdentity signer) => SignedContent.Sign(Content, LivePatchOids.ManifestContentType, [signer], TestPki.Now);

    private static SignedContentResult Verify(byte[] cms, SignatureMemo? memo, TrustPolicy? policy = null, TimeProvider? time = null) =>
        new SignedContentVerifier(policy ?? Pki.Policy(), time ?? TestPki.Clock()).Verify(cms, LivePatchOids.ManifestContentType, memo);

    [Fact]
    public void Verify_Valid_MemoCoversTheBytesWithinEveryCertificatesValidity()
    {
        var cms = Sign(Pki.ManifestSigner);

        var memo = Verify(cms, null).Memo!;

        Assert.Equal(SignatureMemo.HashOf(cms), memo.CmsSha256);
        Assert.True(memo.NotAfter <= new DateTimeOffset(Pki.ManifestSigner.Certificate.NotAfter.ToUniversalTime()));
        Assert.True(memo.Covers(memo.CmsSha256, SignatureMemo.Fingerprint(Pki.Policy()), TestPki.Now));
    }

    [Fact]
    public void Verify_SameBytesWithMemo_ValidWithoutRebuildingChains()
    {
        var cms = Sign(Pki.ManifestSigner);
        var memo = Verify(cms, null).Memo!;

        var again = Verify(cms, memo);

        Assert.True(again.IsValid);
        Assert.Equal(Content, again.Content);
        Assert.Empty(again.TrustedSigners); // the signer checks were not run again
    }

    [Fact]
    public void Verify_TamperedBytesWithMemoOfOriginal_StillRefused()
    {
        var cms = Sign(Pki.ManifestSigner);
        var memo = Verify(cms, null).Memo!;
        var tampered = (byte[])cms.Clone();
        tampered[tampered.AsSpan().IndexOf("memo"u8)] = (byte)'M';

        Assert.False(Verify(tampered, memo).IsValid);
    }

    [Fact]
    public void Verify_MemoMadeUnderAnotherPolicy_IsNotHonoured()
    {
        var cms = Sign(Pki.ManifestSigner);
        var memo = Verify(cms, null).Memo!;
        var otherRoots = new TrustPolicy { Roots = [Pki.UntrustedRoot] };

        Assert.Equal(ErrorCodes.SignerUntrusted, Verify(cms, memo, otherRoots).Issue?.Code);
        Assert.Equal(ErrorCodes.SignerThresholdNotMet, Verify(cms, memo, Pki.Policy(threshold: 2)).Issue?.Code);
    }

    [Fact]
    public void Verify_MemoPastACertificatesExpiry_VerifiesAgainAndRefuses()
    {
        var cms = Sign(Pki.ManifestSigner);
        var memo = Verify(cms, null).Memo!;
        var later = TestPki.Clock();
        later.SetUtcNow(memo.NotAfter.AddSeconds(1));

        Assert.False(Verify(cms, memo, time: later).IsValid);
    }

    [Fact]
    public void Verify_ForgedMemoForUntrustedBytes_WithinWindow_StillCannotChangeWhatIsSigned()
    {
        // A memo only vouches for the exact bytes it names: bytes signed by an untrusted key get a different hash.
        var trusted = Sign(Pki.ManifestSigner);
        var memo = Verify(trusted, null).Memo!;
        var untrusted = Sign(Pki.UntrustedSigner);

        Assert.Equal(ErrorCodes.SignerUntrusted, Verify(untrusted, memo).Issue?.Code);
    }
}
