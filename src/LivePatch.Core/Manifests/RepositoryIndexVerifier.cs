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
        (var index, issue) = SignedDocumentReader.Read(_signatures, signedIndex, LivePatchOids.RepositoryIndexContentType, null,
            ManifestSerializer.DeserializeIndex,
            i => Freshness.Check(i.Issued, i.Expires, time.GetUtcNow(), policy.MaxClockSkew,
                ErrorCodes.IndexExpired, ErrorCodes.IndexIssuedInFuture, "Repository index"),
            out _);
        return index;
    }
}
