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
        // Step 3: CMS signature, chain to a pinned root, EKU, threshold (arbitrary installation, malicious mirror).
        var signed = _signatures.Verify(signedManifest, LivePatchOids.ManifestContentType, memo);
        if (!signed.IsValid)
        {
            return ManifestVerificationResult.Refused(signed.Issue!);
        }

        // Parse only the bytes that were verified (no canonicalisation, no second parser).
        Manifest manifest;
        try
        {
            manifest = ManifestSerializer.Deserialize(signed.Content);
        }
        catch (LivePatchFormatException e)
        {
            return ManifestVerificationResult.Refused(new(e.Error, e.Message));
        }

        // Step 5: freshness (TUF freeze attack).
        var stale = Freshness.Check(manifest.Issued, manifest.Expires, time.GetUtcNow(), policy.MaxClockSkew,
            ErrorCodes.ManifestExpired, ErrorCodes.ManifestIssuedInFuture, "Manifest");
        return stale is null
            ? new ManifestVerificationResult { Manifest = manifest, TrustedSigners = signed.TrustedSigners, Memo = signed.Memo }
            : ManifestVerificationResult.Refused(stale);
    }
}
