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

    /// <summary>Verifies a manifest this host accepted before, kept to restore at boot what the host already ran: step 3
    /// (signature, chain, EKU, threshold) and parsing as <see cref="Verify(ReadOnlySpan{byte}, SignatureMemo?)"/>, but not
    /// step 5's freshness.</summary>
    /// <remarks>Freshness defends against a freeze (an old manifest that hides newer patches or revocations). Re-applying at
    /// boot never moves the host to anything newer than it ran, and a revocation in the kept manifest is still honoured, so
    /// an expired kept manifest can only keep the host where it was before the reboot; any new level needs a fresh manifest
    /// (docs/loaders.md, "Re-apply at boot").</remarks>
    public ManifestVerificationResult VerifyKept(ReadOnlySpan<byte> signedManifest, SignatureMemo? memo)
    {
        var (manifest, issue) = SignedDocumentReader.Read(_signatures, signedManifest, LivePatchOids.ManifestContentType, memo,
            ManifestSerializer.Deserialize, _ => null, out var signed);
        return manifest is null
            ? ManifestVerificationResult.Refused(issue!)
            : new ManifestVerificationResult { Manifest = manifest, TrustedSigners = signed.TrustedSigners, Memo = signed.Memo };
    }
}
