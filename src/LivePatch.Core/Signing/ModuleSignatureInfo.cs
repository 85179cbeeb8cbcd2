using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Signing;

/// <summary>What a module's appended signature says, as parsed; nothing here has been verified yet.</summary>
/// <remarks>
/// Fields mirror what kmod's <c>modinfo</c> prints (<c>signer</c>, <c>sig_key</c>, <c>sig_hashalgo</c>) so that
/// tools can show the same values. Unknown digests and algorithms still parse, so the verifier can refuse
/// them with a precise code instead of a generic format error.
/// </remarks>
public sealed record ModuleSignatureInfo
{
    /// <summary>Number of module bytes before the CMS: the bytes that were signed.</summary>
    public required int BodyLength { get; init; }

    /// <summary>The DER-encoded CMS ContentInfo (SignedData) as found in the module.</summary>
    public required ReadOnlyMemory<byte> Cms { get; init; }

    /// <summary>Digest algorithm of the signer; for unknown OIDs its name is the OID.</summary>
    public required HashAlgorithmName HashAlgorithm { get; init; }

    /// <summary>The digest as modinfo's <c>sig_hashalgo</c> names it ("sha256"), or the OID when unknown.</summary>
    public required string HashAlgorithmLabel { get; init; }

    public required string DigestAlgorithmOid { get; init; }

    /// <summary>"RSA" or "ECDSA"; for any other signature algorithm, its OID.</summary>
    public required string SignatureAlgorithm { get; init; }

    public required string SignatureAlgorithmOid { get; init; }

    /// <summary>Issuer of the signing certificate (issuerAndSerialNumber mode), else null.</summary>
    public X500DistinguishedName? Issuer { get; init; }

    /// <summary>Serial number of the signing certificate, big-endian exactly as in the DER INTEGER.</summary>
    public byte[]? SerialNumber { get; init; }

    /// <summary>Subject key identifier of the signing certificate (<c>sign-file -k</c> mode), else null.</summary>
    public byte[]? SubjectKeyIdentifier { get; init; }

    /// <summary>The issuer's common name, as modinfo's <c>signer</c>; null in SKID mode or without a CN.</summary>
    public string? SignerName { get; init; }

    /// <summary>Uppercase colon hex of the serial (or SKID), as modinfo's <c>sig_key</c>.</summary>
    public required string KeyId { get; init; }

    public required byte[] SignatureValue { get; init; }

    /// <summary>True when the SignerInfo carries signed attributes, which the kernel rejects for modules.</summary>
    public required bool HasSignedAttributes { get; init; }
}
