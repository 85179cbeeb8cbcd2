namespace LivePatch.Core;

/// <summary>Error codes of manifests, repository indexes and their CMS signatures (docs/manifests.md).</summary>
public static partial class ErrorCodes
{
    // Manifest and index JSON (Manifests/ManifestSerializer).
    public const string ManifestMalformed = "manifest-malformed";
    public const string IndexMalformed = "index-malformed";

    // CMS SignedData structure (Trust/SignedContentVerifier), RFC 5652.
    public const string CmsMalformed = "cms-malformed";
    public const string CmsNoContent = "cms-no-content";
    public const string CmsWrongContentType = "cms-wrong-content-type";
    public const string CmsNoSigners = "cms-no-signers";
    public const string CmsSignedAttributesInvalid = "cms-signed-attributes-invalid";
    public const string CmsWeakDigest = "cms-weak-digest";
    public const string CmsSignatureInvalid = "cms-signature-invalid";

    // Signer certificates against the trust policy, RFC 5280.
    public const string SignerCertificateMissing = "signer-certificate-missing";
    public const string SignerUntrusted = "signer-untrusted";
    public const string SignerNotYetValid = "signer-not-yet-valid";
    public const string SignerExpired = "signer-expired";
    public const string SignerWrongEku = "signer-wrong-eku";
    public const string SignerKeyUsage = "signer-key-usage";
    public const string SignerChainInvalid = "signer-chain-invalid";
    public const string SignerThresholdNotMet = "signer-threshold-not-met";

    // Manifest freshness (DESIGN.md client step 5) and identity (step 4).
    public const string ManifestExpired = "manifest-expired";
    public const string ManifestIssuedInFuture = "manifest-issued-in-future";
    public const string ManifestWrongRepository = "manifest-wrong-repository";
    public const string ManifestWrongChannel = "manifest-wrong-channel";
    public const string ManifestWrongBuildId = "manifest-wrong-build-id";

    // Repository index freshness.
    public const string IndexExpired = "index-expired";
    public const string IndexIssuedInFuture = "index-issued-in-future";
}
