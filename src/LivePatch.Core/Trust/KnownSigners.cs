using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Signing;

namespace LivePatch.Core.Trust;

/// <summary>Signers that <see cref="SignedContentVerifier"/>'s full path has already accepted, with their public keys, so
/// that more documents by them cost a signature check instead of a SignedCms decode and certificate objects.</summary>
/// <remarks>
/// A mirror sync verifies thousands of documents that carry the same certificates and signer: decoding each with SignedCms
/// (and making X509Certificate2 objects of its certificates, and checking the chain memo) cost about five times the
/// signature check itself (bench/mirror-results.md). What the full path decided about a signer depends only on the
/// certificate bytes, the signer identifier, the algorithms, the policy and the time (as <see cref="SignatureMemo"/>
/// argues), so a document whose certificate set, identifier and algorithms are byte for byte those of a signer the full
/// path accepted, inside the same validity window, needs only the per-document checks: content type, digestAlgorithms,
/// signed attributes, messageDigest and the signature. Anything unusual (another shape, an unknown signer, a failing
/// check) returns null and the full path decides: this class accepts, it never refuses.
/// </remarks>
internal sealed class KnownSigners(TrustPolicy policy)
{
    /// <summary>Distinct signers remembered; a repository has a handful, more only costs the full path.</summary>
    private const int MaxRemembered = 64;

    /// <summary>The only algorithm pairs taken here: what <see cref="SignerInfoTemplate"/> writes (SHA-256 with ECDSA or
    /// RSA PKCS#1 v1.5), parameters absent or NULL. Other pairs go the full path.</summary>
    private static readonly byte[][] Sha256Digest = [Algorithm(SignedContent.Sha256Oid, withNull: false), Algorithm(SignedContent.Sha256Oid, withNull: true)];
    private static readonly byte[] EcdsaWithSha256 = Algorithm(SignatureAlgorithms.EcdsaOid(HashAlgorithmName.SHA256), withNull: false);
    private static readonly byte[][] RsaEncryption = [Algorithm(SignatureAlgorithms.RsaEncryptionOid, withNull: false), Algorithm(SignatureAlgorithms.RsaEncryptionOid, withNull: true)];

    private readonly Dictionary<string, KnownSigner> _signers = new(StringComparer.Ordinal);
    private readonly string _policy = SignatureMemo.Fingerprint(policy);

    /// <summary>The result of the full path for <paramref name="cms"/>, when every check can be made here; else null.</summary>
    public SignedContentResult? TryVerify(byte[] cms, SignedDataLayout layout, string expectedContentType, DateTimeOffset now)
    {
        if (layout.ContentType != expectedContentType || layout.Content.IsEmpty || !DigestSetIsSha256(cms))
        {
            return null;
        }

        var trusted = new Dictionary<string, X509Certificate2>(StringComparer.Ordinal);
        var (notBefore, notAfter) = (DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
        var contentDigest = SHA256.HashData(layout.Content.Span);
        foreach (var signer in layout.Signers)
        {
            var known = Find(layout, signer);
            if (known is null || now < known.NotBefore || now >= known.NotAfter
                || !SignedAttributesMatch(signer, layout.ContentType, contentDigest) || !known.Verifies(signer))
            {
                return null;
            }

            trusted.TryAdd(known.SpkiSha256, known.Certificate);
            (notBefore, notAfter) = (Max(notBefore, known.NotBefore), Min(notAfter, known.NotAfter));
        }

        return trusted.Count >= policy.SignerThreshold
            ? new SignedContentResult
            {
                Content = layout.Content.ToArray(),
                TrustedSigners = [.. trusted.Values],
                Memo = new SignatureMemo(SignatureMemo.HashOf(cms), _policy, notBefore, notAfter),
            }
            : null;
    }

    /// <summary>Remembers the signers of content the full path accepted: <paramref name="certificates"/>[i] is the trusted
    /// certificate of SignerInfo i, or null when that signer was not trusted (then nothing is remembered).</summary>
    public void Learn(SignedDataLayout layout, IReadOnlyList<X509Certificate2?> certificates, SignatureMemo memo)
    {
        if (certificates.Count != layout.Signers.Count || certificates.Any(c => c is null))
        {
            return;
        }

        for (var i = 0; i < certificates.Count; i++)
        {
            var known = KnownSigner.For(layout.Signers[i], certificates[i]!, memo);
            // The key must verify this very SignerInfo: that binds it to the identifier whatever order SignedCms listed them in.
            if (known is null || !known.Verifies(layout.Signers[i]))
            {
                return;
            }

            lock (_signers)
            {
                if (_signers.Count >= MaxRemembered)
                {
                    _signers.Clear();
                }

                _signers[Key(layout, layout.Signers[i])] = known;
            }
        }
    }

    private KnownSigner? Find(SignedDataLayout layout, SignerInfoLayout signer)
    {
        if (!Sha256Digest.Any(d => signer.DigestAlgorithm.Span.SequenceEqual(d)))
        {
            return null;
        }

        lock (_signers)
        {
            return _signers.GetValueOrDefault(Key(layout, signer));
        }
    }

    /// <summary>The certificate set, the signer identifier and both algorithms, each length-prefixed: everything the full
    /// path's decision about this signer rests on besides the policy (fixed per instance) and the time.</summary>
    private static string Key(SignedDataLayout layout, SignerInfoLayout signer)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in (ReadOnlyMemory<byte>[])[layout.Certificates, signer.SignerIdentifier, signer.DigestAlgorithm, signer.SignatureAlgorithm])
        {
            hash.AppendData(BitConverter.GetBytes(part.Length));
            hash.AppendData(part.Span);
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>digestAlgorithms must list exactly the signers' digests (RFC 5652 §5.1), here SHA-256 alone.</summary>
    private static bool DigestSetIsSha256(byte[] cms) =>
        SignedDataDigests.Read(cms) is { Count: 1 } digests && digests.Contains(SignedContent.Sha256Oid);

    /// <summary>RFC 5652 §5.3/§11: exactly one contentType attribute equal to eContentType and exactly one messageDigest
    /// equal to the content's digest, each with one value; the full path checks the same (and SignedCms the digest).</summary>
    private static bool SignedAttributesMatch(SignerInfoLayout signer, string contentType, byte[] contentDigest)
    {
        try
        {
            var attributes = new AsnReader(signer.SignedAttributes, AsnEncodingRules.DER).ReadSetOf(new Asn1Tag(TagClass.ContextSpecific, 0));
            var (types, digests) = (0, 0);
            while (attributes.HasData)
            {
                var attribute = attributes.ReadSequence();
                var oid = attribute.ReadObjectIdentifier();
                var values = attribute.ReadSetOf();
                attribute.ThrowIfNotEmpty();
                var value = values.ReadEncodedValue();
                var single = !values.HasData;
                if (oid == SignedContentSigner.ContentTypeAttributeOid)
                {
                    types += single && ReadOid(value) == contentType ? 1 : 2;
                }
                else if (oid == SignedContentSigner.MessageDigestAttributeOid)
                {
                    digests += single && ReadOctets(value).AsSpan().SequenceEqual(contentDigest) ? 1 : 2;
                }
            }

            return types == 1 && digests == 1;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static string ReadOid(ReadOnlyMemory<byte> value)
    {
        var reader = new AsnReader(value, AsnEncodingRules.DER);
        var oid = reader.ReadObjectIdentifier();
        reader.ThrowIfNotEmpty();
        return oid;
    }

    private static byte[] ReadOctets(ReadOnlyMemory<byte> value)
    {
        var reader = new AsnReader(value, AsnEncodingRules.DER);
        var octets = reader.ReadOctetString();
        reader.ThrowIfNotEmpty();
        return octets;
    }

    private static byte[] Algorithm(string oid, bool withNull)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            if (withNull)
            {
                writer.WriteNull();
            }
        }

        return writer.Encode();
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>One accepted signer: its certificate, the window the full path's decision holds in, and its public key
    /// objects (pooled: the .NET key objects make no promise about concurrent use, and sync verifies several at once).</summary>
    private sealed class KnownSigner
    {
        private readonly ConcurrentBag<AsymmetricAlgorithm> _keys = [];
        private readonly bool _ecdsa;

        private KnownSigner(X509Certificate2 certificate, AsymmetricAlgorithm key, SignatureMemo memo)
        {
            Certificate = certificate;
            _ecdsa = key is ECDsa;
            _keys.Add(key);
            SpkiSha256 = Convert.ToHexString(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
            (NotBefore, NotAfter) = (memo.NotBefore, memo.NotAfter);
        }

        public X509Certificate2 Certificate { get; }

        public string SpkiSha256 { get; }

        public DateTimeOffset NotBefore { get; }

        public DateTimeOffset NotAfter { get; }

        public static KnownSigner? For(SignerInfoLayout signer, X509Certificate2 certificate, SignatureMemo memo)
        {
            // The key must be of the signature algorithm's type; any other pairing is left to the full path.
            var algorithm = signer.SignatureAlgorithm.ToArray();
            AsymmetricAlgorithm? key = algorithm.AsSpan().SequenceEqual(EcdsaWithSha256) ? certificate.GetECDsaPublicKey()
                : RsaEncryption.Any(a => a.AsSpan().SequenceEqual(algorithm)) ? certificate.GetRSAPublicKey()
                : null;
            return key is null ? null : new KnownSigner(certificate, key, memo);
        }

        /// <summary>RFC 5652 §5.4: the signature is over the DER signed attributes with their SET OF tag (0x31), not the
        /// [0] IMPLICIT tag they are written with.</summary>
        public bool Verifies(SignerInfoLayout signer)
        {
            var signed = signer.SignedAttributes.ToArray();
            signed[0] = 0x31;
            var key = _keys.TryTake(out var idle) ? idle : NewKey();
            try
            {
                return key switch
                {
                    ECDsa ecdsa => ecdsa.VerifyData(signed, signer.Signature.Span, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
                    RSA rsa => rsa.VerifyData(signed, signer.Signature.Span, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                    _ => false,
                };
            }
            catch (CryptographicException)
            {
                return false;
            }
            finally
            {
                _keys.Add(key);
            }
        }

        /// <summary>Another key object for a concurrent check; the certificate's key type was checked when this was made.</summary>
        private AsymmetricAlgorithm NewKey() => _ecdsa ? Certificate.GetECDsaPublicKey()! : Certificate.GetRSAPublicKey()!;
    }
}
