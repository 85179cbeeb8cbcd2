using LivePatch.Core.Trust;

namespace LivePatch.Core.Manifests;

/// <summary>Verifies a signed coverage bin like a manifest: signature and trust, then parsing, then freshness
/// (docs/architecture.md, client steps 3 and 5, applied to the bin after a manifest 404).</summary>
/// <remarks>
/// Per-host checks are the caller's: identity with <see cref="CoverageExpectations"/> (step 4) and the rollback
/// check against the version persisted for this (repository, channel, prefix) (step 6).
/// </remarks>
public sealed class CoverageBinVerifier(TrustPolicy policy, TimeProvider time)
{
    private readonly SignedContentVerifier _signatures = new(policy, time);

    public CoverageBinVerificationResult Verify(ReadOnlySpan<byte> signedBin)
    {
        // Step 3: CMS signature, chain, EKU, threshold. The bin's own content type refuses a manifest or an index
        // presented as a bin (and the manifest and index verifiers refuse a bin) with cms-wrong-content-type.
        var signed = _signatures.Verify(signedBin, LivePatchOids.CoverageBinContentType);
        if (!signed.IsValid)
        {
            return CoverageBinVerificationResult.Refused(signed.Issue!);
        }

        // Parse only the bytes that were verified.
        CoverageBin bin;
        try
        {
            bin = CoverageBinSerializer.Deserialize(signed.Content);
        }
        catch (LivePatchFormatException e)
        {
            return CoverageBinVerificationResult.Refused(new(e.Error, e.Message));
        }

        // Step 5: freshness (TUF freeze attack: a mirror replaying an old "not covered").
        var stale = Freshness.Check(bin.Issued, bin.Expires, time.GetUtcNow(), policy.MaxClockSkew,
            ErrorCodes.CoverageExpired, ErrorCodes.CoverageIssuedInFuture, "Coverage bin");
        return stale is null
            ? new CoverageBinVerificationResult { Bin = bin, TrustedSigners = signed.TrustedSigners }
            : CoverageBinVerificationResult.Refused(stale);
    }
}
