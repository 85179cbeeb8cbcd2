using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Signing;

namespace LivePatch.Core.Trust;

/// <summary>One signer's part of a SignerInfo (RFC 5652 §5.3): what does not change between documents, encoded once,
/// and the private key that signs.</summary>
/// <remarks>
/// The .NET key objects make no promise about concurrent use, so each signature is made with a key object no other
/// thread holds: they are taken from a pool and put back, and a new one is made only when every pooled one is busy
/// (as many as threads ever sign at once).
/// </remarks>
internal sealed class SignerInfoTemplate : IDisposable
{
    /// <summary>RFC 5652 §5.3: version 1 when the signer is named by issuer and serial number.</summary>
    private const int Version = 1;

    /// <summary>ecdsa-with-SHA256, RFC 5758 §3.2: parameters absent.</summary>
    private static readonly byte[] EcdsaWithSha256 = AlgorithmIdentifier(SignatureAlgorithms.EcdsaOid(HashAlgorithmName.SHA256));

    /// <summary>rsaEncryption with parameters absent, as SignedCms wrote it (RFC 3370 §3.2 asks for NULL; verifiers
    /// accept both, and what hosts already verify stays the same).</summary>
    private static readonly byte[] RsaEncryption = AlgorithmIdentifier(SignatureAlgorithms.RsaEncryptionOid);

    private readonly X509Certificate2 _certificate;
    private readonly ConcurrentBag<AsymmetricAlgorithm> _idleKeys = [];
    private readonly Lock _loadingKey = new();
    private readonly byte[] _signerIdentifier;
    private readonly byte[] _signatureAlgorithm;
    private volatile bool _disposed;

    public SignerInfoTemplate(X509Certificate2 certificate)
    {
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException($"Signing certificate {certificate.Subject} has no private key.", nameof(certificate));
        }

        _certificate = certificate;
        var key = LoadKey();
        _signatureAlgorithm = key is RSA ? RsaEncryption : EcdsaWithSha256;
        _idleKeys.Add(key);
        _signerIdentifier = IssuerAndSerialNumber(certificate);
    }

    /// <summary>The DER AlgorithmIdentifier of SHA-256 with parameters absent (RFC 5754 §2).</summary>
    public static byte[] Sha256 { get; } = AlgorithmIdentifier(SignedContent.Sha256Oid);

    /// <summary>Signs the SHA-256 of the DER signed attributes: ECDSA as a DER Ecdsa-Sig-Value (RFC 3279 §2.2.3),
    /// RSA as PKCS#1 v1.5 with SHA-256.</summary>
    public byte[] Sign(ReadOnlySpan<byte> signedAttributesHash)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var key = _idleKeys.TryTake(out var idle) ? idle : LoadKey();
        try
        {
            return key switch
            {
                ECDsa ecdsa => ecdsa.SignHash(signedAttributesHash, DSASignatureFormat.Rfc3279DerSequence),
                RSA rsa => rsa.SignHash(signedAttributesHash, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                _ => throw new InvalidOperationException("unreachable: LoadKey returns RSA or ECDSA keys only"),
            };
        }
        finally
        {
            Return(key);
        }
    }

    /// <summary>Writes the SignerInfo; <paramref name="signedAttributes"/> is already tagged [0] IMPLICIT.</summary>
    public void Write(AsnWriter writer, ReadOnlySpan<byte> signedAttributes, ReadOnlySpan<byte> signature)
    {
        using (writer.PushSequence())
        {
            writer.WriteInteger(Version);
            writer.WriteEncodedValue(_signerIdentifier);
            writer.WriteEncodedValue(Sha256);
            writer.WriteEncodedValue(signedAttributes);
            writer.WriteEncodedValue(_signatureAlgorithm);
            writer.WriteOctetString(signature);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idleKeys.TryTake(out var key))
        {
            key.Dispose();
        }
    }

    private AsymmetricAlgorithm LoadKey()
    {
        lock (_loadingKey)
        {
            return (AsymmetricAlgorithm?)_certificate.GetECDsaPrivateKey()
                ?? _certificate.GetRSAPrivateKey()
                ?? throw new ArgumentException($"Signing certificate {_certificate.Subject} has neither an RSA nor an ECDSA key.");
        }
    }

    private void Return(AsymmetricAlgorithm key)
    {
        _idleKeys.Add(key);
        if (_disposed)
        {
            Dispose(); // disposed while this signature was made: the key put back must not outlive the template
        }
    }

    private static byte[] IssuerAndSerialNumber(X509Certificate2 certificate)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(certificate.IssuerName.RawData);
            // SerialNumberBytes is the DER INTEGER content of the certificate, written back unchanged.
            writer.WriteInteger(certificate.SerialNumberBytes.Span);
        }

        return writer.Encode();
    }

    private static byte[] AlgorithmIdentifier(string oid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
        }

        return writer.Encode();
    }
}
