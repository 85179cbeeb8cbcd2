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
        // Steps 3 and 5 as for a manifest; the bin's own content type refuses a manifest or an index presented as a bin
        // (and the manifest and index verifiers refuse a bin). Freshness answers a mirror replaying an old "not covered".
        var (bin, issue) = SignedDocumentReader.Read(_signatures, signedBin, LivePatchOids.CoverageBinContentType, null,
            CoverageBinSerializer.Deserialize,
            b => Freshness.Check(b.Issued, b.Expires, time.GetUtcNow(), policy.MaxClockSkew,
                ErrorCodes.CoverageExpired, ErrorCodes.CoverageIssuedInFuture, "Coverage bin"),
            out var signed);
        return bin is null
            ? CoverageBinVerificationResult.Refused(issue!)
            : new CoverageBinVerificationResult { Bin = bin, TrustedSigners = signed.TrustedSigners };
    }
}
