namespace LivePatch.Core;

/// <summary>Stable error codes of the appended module signature (Signing/); docs/module-signature.md explains each.</summary>
public static partial class ErrorCodes
{
    // Reading the trailer and the CMS (ModuleSignatureReader).
    public static readonly ErrorCode SignatureMissing = ErrorCode.Define("signature-missing", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureTruncated = ErrorCode.Define("signature-truncated", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureTrailerInvalid = ErrorCode.Define("signature-trailer-invalid", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureIdTypeUnsupported = ErrorCode.Define("signature-id-type-unsupported", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureCmsMalformed = ErrorCode.Define("signature-cms-malformed", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureSignerCount = ErrorCode.Define("signature-signer-count", ErrorCategory.Refused);

    // Verification policy (ModuleVerifier).
    public static readonly ErrorCode SignatureSignedAttributes = ErrorCode.Define("signature-signed-attributes", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureDigestUnsupported = ErrorCode.Define("signature-digest-unsupported", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureAlgorithmUnsupported = ErrorCode.Define("signature-algorithm-unsupported", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureNested = ErrorCode.Define("signature-nested", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureSignerUnknown = ErrorCode.Define("signature-signer-unknown", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureKeyUnsupported = ErrorCode.Define("signature-key-unsupported", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureKeyTooWeak = ErrorCode.Define("signature-key-too-weak", ErrorCategory.Refused);
    public static readonly ErrorCode SignatureInvalid = ErrorCode.Define("signature-invalid", ErrorCategory.Refused);

    // Signing (ModuleSigner) and keyrings (ModuleKeyring).
    public static readonly ErrorCode SignatureAlreadyPresent = ErrorCode.Define("signature-already-present", ErrorCategory.Invalid);
    public static readonly ErrorCode SigningKeyMissing = ErrorCode.Define("signing-key-missing", ErrorCategory.Invalid);
    public static readonly ErrorCode KeyringFileInvalid = ErrorCode.Define("keyring-file-invalid", ErrorCategory.Invalid);
}
