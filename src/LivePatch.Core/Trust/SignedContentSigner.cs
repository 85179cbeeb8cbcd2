using System.Collections.Concurrent;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Signing;

namespace LivePatch.Core.Trust;

/// <summary>Wraps bytes in an attached CMS SignedData (RFC 5652) for a fixed list of signers, with everything that does not
/// change between documents encoded once; safe to use from several threads.</summary>
/// <remarks>
/// The wire form of manifests, indexes and coverage bins (docs/manifests.md), the same structure
/// <see cref="System.Security.Cryptography.Pkcs.SignedCms"/> wrote for them. SignedCms prepared each signer, read its key and
/// re-encoded the certificates on every call, about five times the cost of the signature itself (bench/signing); a
/// repository re-signs every manifest before it expires. Here the certificate set, each signer's identifier and algorithms, and the key
/// objects are prepared when this is made; a document costs one SHA-256 of the content, three signed attributes, one
/// SHA-256 of those and one signature per signer.
/// </remarks>
public sealed class SignedContentSigner : IDisposable
{
    /// <summary>RFC 5652 §5.1: version 3, because eContentType is never id-data here.</summary>
    private const int SignedDataVersion = 3;

    /// <summary>RFC 5652 §11.1, §11.2, §11.3.</summary>
    internal const string ContentTypeAttributeOid = "1.2.840.113549.1.9.3";
    internal const string MessageDigestAttributeOid = "1.2.840.113549.1.9.4";
    internal const string SigningTimeAttributeOid = "1.2.840.113549.1.9.5";

    /// <summary>Content types whose encoding is kept; the project has three (LivePatchOids), the rest are encoded each time.</summary>
    private const int MaxEncodedContentTypes = 16;

    /// <summary>signedAttrs is written [0] IMPLICIT (RFC 5652 §5.3): context-specific, constructed, number 0 (X.690 §8.1.2),
    /// but signed as the universal SET OF (0x31) it is (§5.4).</summary>
    private const byte ImplicitSignedAttributesTag = 0xA0;

    private static readonly Asn1Tag Explicit0 = new(TagClass.ContextSpecific, 0, isConstructed: true);

    /// <summary>Encoded content type OIDs. The project's are 2.25 UUID arcs, whose 128-bit number AsnWriter encodes through
    /// BigInteger: about 9 µs each time, a third of an ECDSA signature, and each document names its type twice.</summary>
    private static readonly ConcurrentDictionary<string, byte[]> EncodedContentTypes = new(StringComparer.Ordinal);

    /// <summary>digestAlgorithms (RFC 5652 §5.1): every signer digests with SHA-256, so the set has one member.</summary>
    private static readonly byte[] DigestAlgorithms = EncodeDigestAlgorithms();

    private readonly SignerInfoTemplate[] _signers;
    private readonly byte[] _certificates;

    /// <summary>Prepares <paramref name="signers"/>: each must carry an RSA or ECDSA private key.</summary>
    public SignedContentSigner(IReadOnlyList<SigningIdentity> signers)
    {
        ArgumentNullException.ThrowIfNull(signers);
        if (signers.Count == 0)
        {
            throw new ArgumentException("At least one signer is required.", nameof(signers));
        }

        var prepared = new List<SignerInfoTemplate>(signers.Count);
        try
        {
            foreach (var signer in signers)
            {
                prepared.Add(new SignerInfoTemplate(signer.Certificate));
            }
        }
        catch
        {
            prepared.ForEach(s => s.Dispose());
            throw;
        }

        _signers = [.. prepared];
        _certificates = EncodeCertificates(signers);
    }

    /// <summary>Signs <paramref name="content"/> as <paramref name="contentTypeOid"/> at <paramref name="signingTime"/>,
    /// which is written in whole seconds (the fraction is dropped).</summary>
    public byte[] Sign(ReadOnlySpan<byte> content, string contentTypeOid, DateTimeOffset signingTime)
    {
        ArgumentException.ThrowIfNullOrEmpty(contentTypeOid);
        var contentType = EncodeContentType(contentTypeOid);

        // RFC 5652 §5.4: messageDigest is the digest of the eContent octets; the signature covers the DER signed attributes.
        Span<byte> contentDigest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(content, contentDigest);
        var signedAttributes = EncodeSignedAttributes(contentType, contentDigest, signingTime);
        Span<byte> signedAttributesDigest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(signedAttributes, signedAttributesDigest);

        // Same digest and same attributes for every signer, so one set of attributes serves them all.
        var signatures = new byte[_signers.Length][];
        for (var i = 0; i < _signers.Length; i++)
        {
            signatures[i] = _signers[i].Sign(signedAttributesDigest);
        }

        signedAttributes[0] = ImplicitSignedAttributesTag;
        return EncodeContentInfo(content, contentType, signedAttributes, signatures);
    }

    public void Dispose()
    {
        foreach (var signer in _signers)
        {
            signer.Dispose();
        }
    }

    /// <summary>ContentInfo { signedData, [0] EXPLICIT SignedData } (RFC 5652 §3, §5.1).</summary>
    private byte[] EncodeContentInfo(ReadOnlySpan<byte> content, byte[] contentType, byte[] signedAttributes, byte[][] signatures)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER, content.Length + _certificates.Length + 256 * _signers.Length + 128);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(SignatureAlgorithms.SignedDataOid);
            using (writer.PushSequence(Explicit0))
            using (writer.PushSequence())
            {
                writer.WriteInteger(SignedDataVersion);
                writer.WriteEncodedValue(DigestAlgorithms);
                using (writer.PushSequence()) // EncapsulatedContentInfo (§5.2)
                {
                    writer.WriteEncodedValue(contentType);
                    using (writer.PushSequence(Explicit0))
                    {
                        writer.WriteOctetString(content);
                    }
                }

                writer.WriteEncodedValue(_certificates);
                using (writer.PushSetOf()) // DER sorts the SignerInfos when the set is closed (X.690 §11.6)
                {
                    for (var i = 0; i < _signers.Length; i++)
                    {
                        _signers[i].Write(writer, signedAttributes, signatures[i]);
                    }
                }
            }
        }

        return writer.Encode();
    }

    /// <summary>contentType, signingTime and messageDigest (RFC 5652 §5.3, §11) as a DER SET OF Attribute.</summary>
    private static byte[] EncodeSignedAttributes(byte[] contentType, ReadOnlySpan<byte> contentDigest, DateTimeOffset signingTime)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER, 160);
        using (writer.PushSetOf()) // sorted by their encodings when closed (X.690 §11.6), as DER requires
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(ContentTypeAttributeOid);
                using (writer.PushSetOf())
                {
                    writer.WriteEncodedValue(contentType);
                }
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(SigningTimeAttributeOid);
                using (writer.PushSetOf())
                {
                    WriteSigningTime(writer, signingTime);
                }
            }

            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(MessageDigestAttributeOid);
                using (writer.PushSetOf())
                {
                    writer.WriteOctetString(contentDigest);
                }
            }
        }

        return writer.Encode();
    }

    private static byte[] EncodeContentType(string oid)
    {
        if (EncodedContentTypes.TryGetValue(oid, out var encoded))
        {
            return encoded;
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteObjectIdentifier(oid);
        encoded = writer.Encode();
        if (EncodedContentTypes.Count < MaxEncodedContentTypes)
        {
            EncodedContentTypes.TryAdd(oid, encoded);
        }

        return encoded;
    }

    /// <summary>RFC 5652 §11.3: UTCTime for 1950 through 2049, GeneralizedTime otherwise, both in whole seconds.</summary>
    /// <remarks>The fraction is dropped, not rounded, as SignedCms did: a manifest's <c>issued</c> is never before its signingTime.</remarks>
    private static void WriteSigningTime(AsnWriter writer, DateTimeOffset signingTime)
    {
        var utc = signingTime.ToUniversalTime();
        var seconds = utc.AddTicks(-(utc.Ticks % TimeSpan.TicksPerSecond));
        if (seconds.Year is >= 1950 and <= 2049)
        {
            writer.WriteUtcTime(seconds, twoDigitYearMax: 2049);
        }
        else
        {
            writer.WriteGeneralizedTime(seconds, omitFractionalSeconds: true);
        }
    }

    /// <summary>certificates [0] IMPLICIT SET OF (RFC 5652 §5.1): each signer's certificate and its intermediates, each once,
    /// never a self-issued one among the intermediates: verifiers pin roots, and shipping them would only invite trusting them.</summary>
    private static byte[] EncodeCertificates(IReadOnlyList<SigningIdentity> signers)
    {
        var certificates = new List<byte[]>();
        void Add(X509Certificate2 certificate)
        {
            if (!certificates.Exists(c => c.AsSpan().SequenceEqual(certificate.RawData)))
            {
                certificates.Add(certificate.RawData);
            }
        }

        foreach (var signer in signers)
        {
            Add(signer.Certificate);
            foreach (var intermediate in signer.Intermediates.Where(c => !IsSelfIssued(c)))
            {
                Add(intermediate);
            }
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSetOf(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            certificates.ForEach(c => writer.WriteEncodedValue(c));
        }

        return writer.Encode();
    }

    private static byte[] EncodeDigestAlgorithms()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSetOf())
        {
            writer.WriteEncodedValue(SignerInfoTemplate.Sha256);
        }

        return writer.Encode();
    }

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
}
