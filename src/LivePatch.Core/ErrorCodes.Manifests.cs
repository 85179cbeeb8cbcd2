namespace LivePatch.Core;

/// <summary>Error codes of manifests, repository indexes, coverage bins and their CMS signatures (docs/manifests.md).</summary>
public static partial class ErrorCodes
{
    // Manifest, index and coverage bin JSON (Manifests/ManifestSerializer, Manifests/CoverageBinSerializer).
    public static readonly ErrorCode ManifestMalformed = ErrorCode.Define("manifest-malformed", ErrorCategory.Invalid);
    public static readonly ErrorCode IndexMalformed = ErrorCode.Define("index-malformed", ErrorCategory.Invalid);
    public static readonly ErrorCode CoverageMalformed = ErrorCode.Define("coverage-malformed", ErrorCategory.Invalid);

    // CMS SignedData structure (Trust/SignedContentVerifier), RFC 5652.
    public static readonly ErrorCode CmsMalformed = ErrorCode.Define("cms-malformed", ErrorCategory.Refused);
    public static readonly ErrorCode CmsNoContent = ErrorCode.Define("cms-no-content", ErrorCategory.Refused);
    public static readonly ErrorCode CmsWrongContentType = ErrorCode.Define("cms-wrong-content-type", ErrorCategory.Refused);
    public static readonly ErrorCode CmsNoSigners = ErrorCode.Define("cms-no-signers", ErrorCategory.Refused);
    public static readonly ErrorCode CmsSignedAttributesInvalid = ErrorCode.Define("cms-signed-attributes-invalid", ErrorCategory.Refused);
    public static readonly ErrorCode CmsWeakDigest = ErrorCode.Define("cms-weak-digest", ErrorCategory.Refused);
    public static readonly ErrorCode CmsSignatureInvalid = ErrorCode.Define("cms-signature-invalid", ErrorCategory.Refused);

    // Signer certificates against the trust policy, RFC 5280.
    public static readonly ErrorCode SignerCertificateMissing = ErrorCode.Define("signer-certificate-missing", ErrorCategory.Refused);
    public static readonly ErrorCode SignerUntrusted = ErrorCode.Define("signer-untrusted", ErrorCategory.Refused);
    public static readonly ErrorCode SignerNotYetValid = ErrorCode.Define("signer-not-yet-valid", ErrorCategory.Refused);
    public static readonly ErrorCode SignerExpired = ErrorCode.Define("signer-expired", ErrorCategory.Refused);
    public static readonly ErrorCode SignerWrongEku = ErrorCode.Define("signer-wrong-eku", ErrorCategory.Refused);
    public static readonly ErrorCode SignerKeyUsage = ErrorCode.Define("signer-key-usage", ErrorCategory.Refused);
    public static readonly ErrorCode SignerChainInvalid = ErrorCode.Define("signer-chain-invalid", ErrorCategory.Refused);
    public static readonly ErrorCode SignerThresholdNotMet = ErrorCode.Define("signer-threshold-not-met", ErrorCategory.Refused);

    // Manifest freshness (docs/architecture.md, step 5) and identity (step 4).
    public static readonly ErrorCode ManifestExpired = ErrorCode.Define("manifest-expired", ErrorCategory.Refused);
    public static readonly ErrorCode ManifestIssuedInFuture = ErrorCode.Define("manifest-issued-in-future", ErrorCategory.Refused);
    public static readonly ErrorCode ManifestWrongRepository = ErrorCode.Define("manifest-wrong-repository", ErrorCategory.Refused);
    public static readonly ErrorCode ManifestWrongChannel = ErrorCode.Define("manifest-wrong-channel", ErrorCategory.Refused);
    public static readonly ErrorCode ManifestWrongBuildId = ErrorCode.Define("manifest-wrong-build-id", ErrorCategory.Refused);

    // Repository index freshness.
    public static readonly ErrorCode IndexExpired = ErrorCode.Define("index-expired", ErrorCategory.Refused);
    public static readonly ErrorCode IndexIssuedInFuture = ErrorCode.Define("index-issued-in-future", ErrorCategory.Refused);

    // Coverage bin freshness and identity: the same steps as a manifest's (docs/manifests.md, "Coverage bins").
    public static readonly ErrorCode CoverageExpired = ErrorCode.Define("coverage-expired", ErrorCategory.Refused);
    public static readonly ErrorCode CoverageIssuedInFuture = ErrorCode.Define("coverage-issued-in-future", ErrorCategory.Refused);
    public static readonly ErrorCode CoverageWrongRepository = ErrorCode.Define("coverage-wrong-repository", ErrorCategory.Refused);
    public static readonly ErrorCode CoverageWrongChannel = ErrorCode.Define("coverage-wrong-channel", ErrorCategory.Refused);
    public static readonly ErrorCode CoverageWrongPrefix = ErrorCode.Define("coverage-wrong-prefix", ErrorCategory.Refused);
}
