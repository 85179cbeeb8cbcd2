using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Signing;

/// <summary>Writes the CMS SignedData of a module signature exactly as OpenSSL does for sign-file.</summary>
/// <remarks>
/// scripts/sign-file.c calls CMS_sign/CMS_add1_signer with CMS_NOCERTS, CMS_DETACHED, CMS_BINARY and
/// CMS_NOATTR (no signed attributes), plus CMS_USE_KEYID for <c>-k</c>. OpenSSL writes the digest
/// AlgorithmIdentifier without parameters and rsaEncryption with NULL parameters; SignedCms would not,
/// so the structure is written here by hand to stay byte-identical.
/// </remarks>
internal static class ModuleCmsWriter
{
    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0);

    /// <summary>The identity of the signer as it goes into the SignerInfo.</summary>
    public sealed record SignerId(X509Certificate2 Certificate, byte[]? SubjectKeyIdentifier);

    public static byte[] Write(SignerId signer, string digestOid, string signatureOid, bool nullSignatureParameters, byte[] signature)
    {
        // RFC 5652 5.1 / 5.3: version 3 when the signer is named by subject key identifier, else 1.
        int version = signer.SubjectKeyIdentifier is null ? 1 : 3;
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(SignatureAlgorithms.SignedDataOid);
            using (writer.PushSequence(Context0))
            using (writer.PushSequence())
            {
                writer.WriteInteger(version);
                using (writer.PushSetOf())
                {
                    WriteAlgorithmIdentifier(writer, digestOid, withNull: false);
                }
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(SignatureAlgorithms.DataOid);
                }
                using (writer.PushSetOf())
                {
                    WriteSignerInfo(writer, version, signer, digestOid, signatureOid, nullSignatureParameters, signature);
                }
            }
        }
        return writer.Encode();
    }

    private static void WriteSignerInfo(AsnWriter writer, int version, SignerId signer, string digestOid,
        string signatureOid, bool nullSignatureParameters, byte[] signature)
    {
        using (writer.PushSequence())
        {
            writer.WriteInteger(version);
            if (signer.SubjectKeyIdentifier is { } skid)
            {
                writer.WriteOctetString(skid, Context0);
            }
            else
            {
                using (writer.PushSequence())
                {
                    writer.WriteEncodedValue(signer.Certificate.IssuerName.RawData);
                    // SerialNumberBytes is the DER INTEGER content of the certificate, written back unchanged.
                    writer.WriteInteger(signer.Certificate.SerialNumberBytes.Span);
                }
            }
            WriteAlgorithmIdentifier(writer, digestOid, withNull: false);
            WriteAlgorithmIdentifier(writer, signatureOid, nullSignatureParameters);
            writer.WriteOctetString(signature);
        }
    }

    private static void WriteAlgorithmIdentifier(AsnWriter writer, string oid, bool withNull)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            if (withNull)
            {
                writer.WriteNull();
            }
        }
    }
}
