using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Signing;

/// <summary>Parses the CMS SignedData of a module signature in the one shape sign-file writes.</summary>
/// <remarks>
/// RFC 5652 section 5; the kernel's grammar is crypto/asymmetric_keys/pkcs7.asn1 with the checks of
/// pkcs7_parser.c (version 1 signers name issuer and serial, version 3 signers a subject key identifier).
/// AsnReader in DER mode bounds every length by its enclosing value, so nothing reads past the CMS.
/// </remarks>
internal static class ModuleCmsReader
{
    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0);
    private static readonly Asn1Tag Context1 = new(TagClass.ContextSpecific, 1);

    public static ModuleSignatureInfo Parse(ReadOnlyMemory<byte> cms, int bodyLength)
    {
        try
        {
            return ParseContentInfo(cms, bodyLength);
        }
        catch (AsnContentException e)
        {
            throw Malformed($"not DER: {e.Message}");
        }
        catch (CryptographicException e)
        {
            throw Malformed($"undecodable issuer name: {e.Message}");
        }
    }

    private static ModuleSignatureInfo ParseContentInfo(ReadOnlyMemory<byte> cms, int bodyLength)
    {
        var top = new AsnReader(cms, AsnEncodingRules.DER);
        var contentInfo = top.ReadSequence();
        top.ThrowIfNotEmpty();
        Expect(contentInfo.ReadObjectIdentifier() == SignatureAlgorithms.SignedDataOid, "contentType is not signedData");
        var explicitContent = contentInfo.ReadSequence(Context0);
        contentInfo.ThrowIfNotEmpty();
        var signedData = explicitContent.ReadSequence();
        explicitContent.ThrowIfNotEmpty();
        return ParseSignedData(signedData, cms, bodyLength);
    }

    private static ModuleSignatureInfo ParseSignedData(AsnReader signedData, ReadOnlyMemory<byte> cms, int bodyLength)
    {
        int version = ReadSmallInt(signedData, "SignedData version");
        Expect(version is 1 or 3, $"SignedData version {version}, expected 1 or 3");
        var digestSet = signedData.ReadSetOf();
        var encap = signedData.ReadSequence();
        Expect(encap.ReadObjectIdentifier() == SignatureAlgorithms.DataOid, "eContentType is not id-data");
        // Detached: the module bytes are the content (pkcs7_verify.c supplies them via pkcs7_supply_detached_data).
        Expect(!encap.HasData, "the content is embedded; a module signature is detached");
        Expect(!signedData.PeekTag().HasSameClassAndValue(Context0), "carries certificates; sign-file writes none");
        Expect(!signedData.PeekTag().HasSameClassAndValue(Context1), "carries CRLs; sign-file writes none");
        var signerSet = signedData.ReadSetOf();
        signedData.ThrowIfNotEmpty();

        var signer = signerSet.ReadSequence();
        LivePatchFormatException.ThrowUnless(!signerSet.HasData, ErrorCodes.SignatureSignerCount,
            "module signature: the CMS has more than one SignerInfo; a module has exactly one signer");
        var info = ParseSignerInfo(signer, version, cms, bodyLength);
        Expect(ContainsDigest(digestSet, info.DigestAlgorithmOid), "digestAlgorithms does not list the signer's digest");
        return info;
    }

    private static ModuleSignatureInfo ParseSignerInfo(AsnReader signer, int signedDataVersion, ReadOnlyMemory<byte> cms, int bodyLength)
    {
        int version = ReadSmallInt(signer, "SignerInfo version");
        Expect(version is 1 or 3, $"SignerInfo version {version}, expected 1 or 3");
        var id = ReadSignerIdentifier(signer, version, signedDataVersion);
        string digestOid = ReadAlgorithmIdentifier(signer);
        bool hasSignedAttributes = signer.PeekTag().HasSameClassAndValue(Context0);
        if (hasSignedAttributes)
        {
            signer.ReadEncodedValue(); // Kept only as a flag: the verifier refuses them (pkcs7_verify.c).
        }
        string signatureOid = ReadAlgorithmIdentifier(signer);
        byte[] signature = signer.ReadOctetString();
        if (signer.HasData)
        {
            signer.ReadEncodedValue(); // unsignedAttrs [1]: ignored by the kernel as by us.
        }
        signer.ThrowIfNotEmpty();

        var (label, hash) = SignatureAlgorithms.DescribeDigest(digestOid);
        return new ModuleSignatureInfo
        {
            BodyLength = bodyLength,
            Cms = cms,
            HashAlgorithm = hash,
            HashAlgorithmLabel = label,
            DigestAlgorithmOid = digestOid,
            SignatureAlgorithm = SignatureAlgorithms.DescribeSignature(signatureOid),
            SignatureAlgorithmOid = signatureOid,
            Issuer = id.Issuer,
            SerialNumber = id.Serial,
            SubjectKeyIdentifier = id.Skid,
            SignerName = id.SignerName,
            KeyId = id.Serial is not null ? KeyIdFormatter.FormatSerial(id.Serial) : KeyIdFormatter.FormatBytes(id.Skid),
            SignatureValue = signature,
            HasSignedAttributes = hasSignedAttributes,
        };
    }

    private sealed record SignerIdentifier(X500DistinguishedName? Issuer, byte[]? Serial, byte[]? Skid, string? SignerName);

    /// <summary>issuerAndSerialNumber for a version 1 SignerInfo, subjectKeyIdentifier [0] for version 3.</summary>
    private static SignerIdentifier ReadSignerIdentifier(AsnReader signer, int version, int signedDataVersion)
    {
        if (version == 3)
        {
            // pkcs7_parser.c: a version 3 SignerInfo needs a version 3 SignedData and a SKID.
            Expect(signedDataVersion == 3, "a version 3 SignerInfo in a version 1 SignedData");
            return new SignerIdentifier(null, null, signer.ReadOctetString(Context0), null);
        }
        Expect(!signer.PeekTag().HasSameClassAndValue(Context0), "a version 1 SignerInfo names a subject key identifier");
        var issuerAndSerial = signer.ReadSequence();
        var issuerDer = issuerAndSerial.ReadEncodedValue();
        byte[] serial = issuerAndSerial.ReadIntegerBytes().ToArray();
        issuerAndSerial.ThrowIfNotEmpty();
        string? signerName = ReadCommonName(issuerDer);
        return new SignerIdentifier(new X500DistinguishedName(issuerDer.Span), serial, null, signerName);
    }

    /// <summary>Reads an AlgorithmIdentifier whose parameters are absent or NULL (RFC 5754, RFC 3279).</summary>
    private static string ReadAlgorithmIdentifier(AsnReader reader)
    {
        var algorithm = reader.ReadSequence();
        string oid = algorithm.ReadObjectIdentifier();
        if (algorithm.HasData)
        {
            algorithm.ReadNull();
        }
        algorithm.ThrowIfNotEmpty();
        return oid;
    }

    private static bool ContainsDigest(AsnReader digestSet, string oid)
    {
        bool found = false;
        while (digestSet.HasData)
        {
            found |= ReadAlgorithmIdentifier(digestSet) == oid;
        }
        return found;
    }

    /// <summary>The first commonName of a Name, as kmod's modinfo picks it (X509_NAME_get_index_by_NID).</summary>
    private static string? ReadCommonName(ReadOnlyMemory<byte> nameDer)
    {
        var rdns = new AsnReader(nameDer, AsnEncodingRules.DER).ReadSequence();
        while (rdns.HasData)
        {
            var rdn = rdns.ReadSetOf();
            while (rdn.HasData)
            {
                var attribute = rdn.ReadSequence();
                string type = attribute.ReadObjectIdentifier();
                if (type == SignatureAlgorithms.CommonNameOid)
                {
                    var stringTag = ToStringTag(attribute.PeekTag());
                    return stringTag is { } known ? attribute.ReadCharacterString(known) : null;
                }
            }
        }
        return null;
    }

    /// <summary>The string types AsnReader decodes; a CN in any other type leaves the signer name unknown.</summary>
    private static UniversalTagNumber? ToStringTag(Asn1Tag tag)
    {
        var number = (UniversalTagNumber)tag.TagValue;
        bool isString = tag.TagClass == TagClass.Universal && !tag.IsConstructed && (number is UniversalTagNumber.UTF8String
            or UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String or UniversalTagNumber.T61String
            or UniversalTagNumber.BMPString or UniversalTagNumber.VisibleString);
        return isString ? number : null;
    }

    private static int ReadSmallInt(AsnReader reader, string what)
    {
        BigInteger value = reader.ReadInteger();
        Expect(value >= 0 && value <= 100, $"{what} {value} is out of range");
        return (int)value;
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw Malformed(what);
        }
    }

    private static LivePatchFormatException Malformed(string what) =>
        new(ErrorCodes.SignatureCmsMalformed, $"module signature CMS: {what}");
}
