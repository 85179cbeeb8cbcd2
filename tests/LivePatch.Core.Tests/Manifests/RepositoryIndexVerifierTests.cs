using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Manifests;

public sealed class RepositoryIndexVerifierTests
{
    private static readonly TestPki Pki = TestPki.Instance;

    private static byte[] SignIndex(RepositoryIndex index) =>
        SignedContent.Sign(ManifestSerializer.Serialize(index), LivePatchOids.RepositoryIndexContentType, [Pki.ManifestSigner], TestPki.Now);

    private static RepositoryIndex? Verify(byte[] signed, out VerificationIssue? issue) =>
        new RepositoryIndexVerifier(Pki.Policy(), TestPki.Clock()).Verify(signed, out issue);

    [Fact]
    public void Verify_SignedFreshIndex_ReturnsIndex()
    {
        var index = Verify(SignIndex(SampleManifests.Index()), out var issue);

        Assert.Null(issue);
        Assert.Single(index!.Bins);
    }

    [Fact]
    public void Verify_SignedManifest_RefusesWrongContentType()
    {
        var index = Verify(SampleManifests.Signed(SampleManifests.Manifest()), out var issue);

        Assert.Null(index);
        Assert.Equal(ErrorCodes.CmsWrongContentType, issue?.Code);
    }

    [Fact]
    public void Verify_ExpiredIndex_RefusesIndexExpired()
    {
        var stale = SampleManifests.Index() with { Issued = TestPki.Now.AddDays(-2), Expires = TestPki.Now.AddDays(-1) };

        Assert.Null(Verify(SignIndex(stale), out var issue));
        Assert.Equal(ErrorCodes.IndexExpired, issue?.Code);
    }

    [Fact]
    public void Verify_IndexFromTheFuture_RefusesIndexIssuedInFuture()
    {
        var future = SampleManifests.Index() with { Issued = TestPki.Now.AddHours(1) };

        Assert.Null(Verify(SignIndex(future), out var issue));
        Assert.Equal(ErrorCodes.IndexIssuedInFuture, issue?.Code);
    }

    [Fact]
    public void Verify_SchemaOneIndex_RefusesIndexMalformed()
    {
        // Schema 1 listed every manifest; a reader of schema 2 must not take its missing bins for "nothing to sync".
        var json = System.Text.Encoding.UTF8.GetString(ManifestSerializer.Serialize(SampleManifests.Index()))
            .Replace("\"schema\":2", "\"schema\":1", StringComparison.Ordinal);
        var signed = SignedContent.Sign(System.Text.Encoding.UTF8.GetBytes(json), LivePatchOids.RepositoryIndexContentType, [Pki.ManifestSigner], TestPki.Now);

        Assert.Null(Verify(signed, out var issue));
        Assert.Equal(ErrorCodes.IndexMalformed, issue?.Code);
    }
}
