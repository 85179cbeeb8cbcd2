using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Signing;

/// <summary>Appends a kernel module signature, byte-identical to scripts/sign-file for RSA keys.</summary>
public static class ModuleSigner
{
    /// <summary>Returns the module with a signature appended: body, CMS, struct module_signature, magic.</summary>
    /// <exception cref="LivePatchFormatException">
    /// Already signed without <see cref="ModuleSigningOptions.ReplaceExistingSignature"/>, an unsupported digest
    /// or key, or a certificate without a private key.
    /// </exception>
    public static byte[] Sign(ReadOnlySpan<byte> module, X509Certificate2 certificateWithPrivateKey,
        HashAlgorithmName hash, ModuleSigningOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(certificateWithPrivateKey);
        options ??= new ModuleSigningOptions();
        LivePatchFormatException.ThrowUnless(SignatureAlgorithms.IsAllowedDigest(hash), ErrorCodes.SignatureDigestUnsupported,
            $"module signing: digest {hash.Name} is not allowed; use SHA256, SHA384 or SHA512");
        var body = StripSignature(module, options.ReplaceExistingSignature);
        var signerId = new ModuleCmsWriter.SignerId(certificateWithPrivateKey,
            options.UseSubjectKeyIdentifier ? RequireSubjectKeyIdentifier(certificateWithPrivateKey) : null);

        byte[] digest = CryptographicOperations.HashData(hash, body);
        var (signatureOid, nullParameters, signature) = SignDigest(certificateWithPrivateKey, hash, digest);
        byte[] cms = ModuleCmsWriter.Write(signerId, SignatureAlgorithms.DigestOid(hash), signatureOid, nullParameters, signature);

        var output = new byte[body.Length + cms.Length + ModuleSignatureTrailer.Length];
        body.CopyTo(output);
        cms.CopyTo(output.AsSpan(body.Length));
        ModuleSignatureTrailer.Write(output.AsSpan(body.Length + cms.Length), cms.Length);
        return output;
    }

    /// <summary>Loads a signing certificate and its private key from PEM files, naming the file on failure.</summary>
    public static X509Certificate2 LoadSigningCertificate(string certificatePemPath, string privateKeyPemPath)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificatePemPath, privateKeyPemPath);
        }
        catch (CryptographicException e)
        {
            throw new LivePatchFormatException(ErrorCodes.SigningKeyMissing,
                $"cannot load signing certificate '{certificatePemPath}' with key '{privateKeyPemPath}': {e.Message}");
        }
    }

    /// <summary>The module without any appended signature; refuses a signed module unless replacing.</summary>
    private static ReadOnlySpan<byte> StripSignature(ReadOnlySpan<byte> module, bool replace)
    {
        if (!ModuleSignatureReader.IsSigned(module))
        {
            return module;
        }
        LivePatchFormatException.ThrowUnless(replace, ErrorCodes.SignatureAlreadyPresent,
            "module signing: the module is already signed; replace the signature explicitly to re-sign it");
        // A module signed several times is stripped down to the bare module: the result has one signature.
        while (ModuleSignatureReader.IsSigned(module))
        {
            var (bodyLength, _) = ModuleSignatureTrailer.Parse(module);
            module = module[..bodyLength];
        }
        return module;
    }

    private static byte[] RequireSubjectKeyIdentifier(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault();
        LivePatchFormatException.ThrowUnless(extension is not null, ErrorCodes.SignatureKeyUnsupported,
            $"module signing: certificate '{certificate.Subject}' has no subjectKeyIdentifier extension to name the signer by");
        return extension!.SubjectKeyIdentifierBytes.ToArray();
    }

    private static (string Oid, bool NullParameters, byte[] Signature) SignDigest(X509Certificate2 certificate,
        HashAlgorithmName hash, byte[] digest)
    {
        LivePatchFormatException.ThrowUnless(certificate.HasPrivateKey, ErrorCodes.SigningKeyMissing,
            $"module signing: certificate '{certificate.Subject}' has no private key");
        using (var rsa = certificate.GetRSAPrivateKey())
        {
            if (rsa is not null)
            {
                // rsaEncryption with NULL parameters, as OpenSSL writes it for PKCS#1 v1.5.
                return (SignatureAlgorithms.RsaEncryptionOid, true, rsa.SignHash(digest, hash, RSASignaturePadding.Pkcs1));
            }
        }
        using (var ecdsa = certificate.GetECDsaPrivateKey())
        {
            if (ecdsa is not null)
            {
                // The kernel's ecdsa expects the DER Ecdsa-Sig-Value (crypto/ecdsa.c, x962 encoding).
                var signature = ecdsa.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
                return (SignatureAlgorithms.EcdsaOid(hash), false, signature);
            }
        }
        throw new LivePatchFormatException(ErrorCodes.SignatureKeyUnsupported,
            $"module signing: certificate '{certificate.Subject}' has a {certificate.PublicKey.Oid.FriendlyName} key; use RSA or ECDSA");
    }
}
