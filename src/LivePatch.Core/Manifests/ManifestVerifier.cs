using LivePatch.Core.Trust;

namespace LivePatch.Core.Manifests;

/// <summary>Verifies a signed manifest: signature and trust, then parsing, then freshness (client steps 3 and 5).</summary>
/// <remarks>
/// Per-host checks are the caller's: identity with <see cref="ManifestExpectations"/> (step 4) and the
/// rollback check against the persisted version (step 6).
/// </remarks>
public sealed class ManifestVerifier(TrustPolicy policy, TimeProvider time)
{
    private readonly SignedContentVerifier _signatures = new(policy, time);

    public ManifestVerificationResult Verify(ReadOnlySpan<byte> signedManifest) => Verify(signedManifest, null);

    /// <summary>Verifies; unchanged bytes that <paramref name="memo"/> vouches for skip the chain building (freshness is always checked).</summary>
    public ManifestVerificationResult Verify(ReadOnlySpan<byte> signedManifest, SignatureMemo? memo)
    {
        // Steps 3 and 5: CMS signature, chain to a pinned root, EKU, threshold (arbitrary installation, malicious mirror);
        // parsing of the verified bytes; freshness (TUF freeze attack).
        var (manifest, issue) = SignedDocumentReader.Read(_signatures, signedManifest, LivePatchOids.ManifestContentType, memo,
            ManifestSerializer.Deserialize,
            m => Freshness.Check(m.Issued, m.Expires, time.GetUtcNow(), policy.MaxClockSkew,
                ErrorCodes.ManifestExpired, ErrorCodes.ManifestIssuedInFuture, "Manifest"),
            out var signed);
        return manifest is null
            ? ManifestVerificationResult.Refused(issue!)
            : new ManifestVerificationResult { Manifest = manifest, TrustedSigners = signed.TrustedSigners, Memo = signed.Memo };
    }
}
