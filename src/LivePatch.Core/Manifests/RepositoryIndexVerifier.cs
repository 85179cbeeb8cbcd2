using LivePatch.Core.Trust;

namespace LivePatch.Core.Manifests;

/// <summary>Verifies a signed repository index for mirrors: signature and trust, parsing, freshness.</summary>
public sealed class RepositoryIndexVerifier(TrustPolicy policy, TimeProvider time)
{
    private readonly SignedContentVerifier _signatures = new(policy, time);

    /// <summary>Returns the index, or null with <paramref name="issue"/> set when it is refused.</summary>
    public RepositoryIndex? Verify(ReadOnlySpan<byte> signedIndex, out VerificationIssue? issue)
    {
        // The index content type differs from the manifest's, so neither can be replayed as the other.
        var signed = _signatures.Verify(signedIndex, LivePatchOids.RepositoryIndexContentType);
        if (!signed.IsValid)
        {
            issue = signed.Issue;
            return null;
        }

        RepositoryIndex index;
        try
        {
            index = ManifestSerializer.DeserializeIndex(signed.Content);
        }
        catch (LivePatchFormatException e)
        {
            issue = new(e.Error, e.Message);
            return null;
        }

        issue = Freshness.Check(index.Issued, index.Expires, time.GetUtcNow(), policy.MaxClockSkew,
            ErrorCodes.IndexExpired, ErrorCodes.IndexIssuedInFuture, "Repository index");
        return issue is null ? index : null;
    }
}
