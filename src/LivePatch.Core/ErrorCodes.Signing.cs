namespace LivePatch.Core;

/// <summary>Stable error codes of the appended module signature (Signing/); docs/module-signature.md explains each.</summary>
public static partial class ErrorCodes
{
    // Reading the trailer and the CMS (ModuleSignatureReader).
    public const string SignatureMissing = "signature-missing";
    public const string SignatureTruncated = "signature-truncated";
    public const string SignatureTrailerInvalid = "signature-trailer-invalid";
    public const string SignatureIdTypeUnsupported = "signature-id-type-unsupported";
    public const string SignatureCmsMalformed = "signature-cms-malformed";
    public const string SignatureSignerCount = "signature-signer-count";

    // Verification policy (ModuleVerifier).
    public const string SignatureSignedAttributes = "signature-signed-attributes";
    public const string SignatureDigestUnsupported = "signature-digest-unsupported";
    public const string SignatureAlgorithmUnsupported = "signature-algorithm-unsupported";
    public const string SignatureNested = "signature-nested";
    public const string SignatureSignerUnknown = "signature-signer-unknown";
    public const string SignatureKeyUnsupported = "signature-key-unsupported";
    public const string SignatureKeyTooWeak = "signature-key-too-weak";
    public const string SignatureInvalid = "signature-invalid";

    // Signing (ModuleSigner) and keyrings (ModuleKeyring).
    public const string SignatureAlreadyPresent = "signature-already-present";
    public const string SigningKeyMissing = "signing-key-missing";
    public const string KeyringFileInvalid = "keyring-file-invalid";
}
