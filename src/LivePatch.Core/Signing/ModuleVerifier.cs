using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Signing;

/// <summary>Checks a module's appended signature against a keyring, as the kernel does on load, plus our policy.</summary>
/// <remarks>
/// One step per check, in order, each with its own code (docs/module-signature.md). Never throws for bad
/// input: a malformed module is an issue like any other, so callers fail closed on <see cref="ModuleVerificationResult.IsValid"/>.
/// </remarks>
public sealed class ModuleVerifier(ModuleKeyring keyring)
{
    /// <summary>Smallest RSA modulus accepted; the kernel's own default since 4.x is 2048 or more (certs/Kconfig).</summary>
    public const int MinRsaKeySize = 2048;

    private readonly ModuleKeyring _keyring = keyring ?? throw new ArgumentNullException(nameof(keyring));

    public ModuleVerificationResult Verify(ReadOnlySpan<byte> module)
    {
        // 1. Find and parse the trailer and the CMS (kernel/module/signing.c, module_signature.c).
        ModuleSignatureInfo? signature;
        try
        {
            signature = ModuleSignatureReader.ReadOrNull(module);
        }
        catch (LivePatchFormatException e)
        {
            return ModuleVerificationResult.Fail(e.Error, e.Message);
        }
        if (signature is null)
        {
            return ModuleVerificationResult.Fail(ErrorCodes.SignatureMissing,
                "module is not signed: it does not end with \"~Module signature appended~\"");
        }
        // 2. Policy on what the CMS says, before any key is looked up.
        var issue = CheckShape(signature, module[..signature.BodyLength]);
        if (issue is not null)
        {
            return ModuleVerificationResult.Fail(issue.Error, issue.Message, signature);
        }
        // 3. The signer must be a keyring certificate (pkcs7_trust.c: the key, not a chain).
        var signer = _keyring.FindSigner(signature);
        if (signer is null)
        {
            return ModuleVerificationResult.Fail(ErrorCodes.SignatureSignerUnknown,
                $"module signed by key {signature.KeyId} ({signature.SignerName ?? "no CN"}), which is not in the module keyring",
                signature);
        }
        // 4. The signature over the module bytes (pkcs7_verify.c, public_key_verify_signature()).
        issue = CheckSignature(signature, signer, module[..signature.BodyLength]);
        return issue is null
            ? new ModuleVerificationResult { Signature = signature, Signer = signer }
            : ModuleVerificationResult.Fail(issue.Error, issue.Message, signature, signer);
    }

    private static VerificationIssue? CheckShape(ModuleSignatureInfo signature, ReadOnlySpan<byte> body)
    {
        // pkcs7_verify.c, VERIFYING_MODULE_SIGNATURE: "Module signature with authattrs" is rejected.
        if (signature.HasSignedAttributes)
        {
            return new(ErrorCodes.SignatureSignedAttributes,
                "module signature has signed attributes, which the kernel rejects for modules");
        }
        if (!SignatureAlgorithms.IsAllowedDigest(signature.HashAlgorithm))
        {
            return new(ErrorCodes.SignatureDigestUnsupported,
                $"module signature uses digest {signature.HashAlgorithmLabel}; only sha256, sha384 and sha512 are accepted");
        }
        bool rsa = signature.SignatureAlgorithm == SignatureAlgorithms.Rsa;
        var ecdsaDigest = SignatureAlgorithms.EcdsaDigest(signature.SignatureAlgorithmOid);
        if (!rsa && ecdsaDigest != signature.HashAlgorithm)
        {
            return new(ErrorCodes.SignatureAlgorithmUnsupported,
                $"module signature algorithm {signature.SignatureAlgorithmOid} with digest {signature.HashAlgorithmLabel} is not supported");
        }
        // The kernel would verify the outer signature and load a module whose earlier signature is
        // hidden inside the signed bytes; refuse it so one module has exactly one signer.
        if (ModuleSignatureTrailer.EndsWithMagic(body))
        {
            return new(ErrorCodes.SignatureNested,
                $"module is signed twice: the {body.Length} signed bytes end with another signature; strip it and sign once");
        }
        return null;
    }

    private VerificationIssue? CheckSignature(ModuleSignatureInfo signature, X509Certificate2 signer, ReadOnlySpan<byte> body)
    {
        try
        {
            byte[] digest = CryptographicOperations.HashData(signature.HashAlgorithm, body);
            return signature.SignatureAlgorithm == SignatureAlgorithms.Rsa
                ? CheckRsa(signature, signer, digest)
                : CheckEcdsa(signature, signer, digest);
        }
        catch (CryptographicException e)
        {
            return new(ErrorCodes.SignatureInvalid, $"module signature could not be verified: {e.Message}");
        }
    }

    private VerificationIssue? CheckRsa(ModuleSignatureInfo signature, X509Certificate2 signer, byte[] digest) =>
        _keyring.WithPublicKey(signer, certificate => certificate.GetRSAPublicKey(), rsa => CheckRsa(signature, signer, digest, rsa));

    private static VerificationIssue? CheckRsa(ModuleSignatureInfo signature, X509Certificate2 signer, byte[] digest, RSA? rsa)
    {
        if (rsa is null)
        {
            return KeyMismatch(signer, "RSA");
        }
        if (rsa.KeySize < MinRsaKeySize)
        {
            return new(ErrorCodes.SignatureKeyTooWeak,
                $"signer '{signer.Subject}' has an RSA-{rsa.KeySize} key; at least {MinRsaKeySize} bits are required");
        }
        return rsa.VerifyHash(digest, signature.SignatureValue, signature.HashAlgorithm, RSASignaturePadding.Pkcs1)
            ? null
            : Invalid(signature, signer);
    }

    private VerificationIssue? CheckEcdsa(ModuleSignatureInfo signature, X509Certificate2 signer, byte[] digest) =>
        _keyring.WithPublicKey(signer, certificate => certificate.GetECDsaPublicKey(), ecdsa => CheckEcdsa(signature, signer, digest, ecdsa));

    private static VerificationIssue? CheckEcdsa(ModuleSignatureInfo signature, X509Certificate2 signer, byte[] digest, ECDsa? ecdsa)
    {
        if (ecdsa is null)
        {
            return KeyMismatch(signer, "ECDSA");
        }
        return ecdsa.VerifyHash(digest, signature.SignatureValue, DSASignatureFormat.Rfc3279DerSequence)
            ? null
            : Invalid(signature, signer);
    }

    private static VerificationIssue KeyMismatch(X509Certificate2 signer, string expected) =>
        new(ErrorCodes.SignatureKeyUnsupported,
            $"signer '{signer.Subject}' has a {signer.PublicKey.Oid.FriendlyName ?? signer.PublicKey.Oid.Value} key, but the signature is {expected}");

    private static VerificationIssue Invalid(ModuleSignatureInfo signature, X509Certificate2 signer) =>
        new(ErrorCodes.SignatureInvalid,
            $"module signature by '{signer.Subject}' does not match the {signature.BodyLength} module bytes ({signature.HashAlgorithmLabel}): the module was changed after signing");
}
