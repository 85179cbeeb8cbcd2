using System.Formats.Asn1;

namespace LivePatch.Core.Trust;

/// <summary>One SignerInfo of <see cref="SignedDataLayout"/>, as encoded (RFC 5652 §5.3).</summary>
internal sealed record SignerInfoLayout(
    int Version,
    ReadOnlyMemory<byte> SignerIdentifier,
    ReadOnlyMemory<byte> DigestAlgorithm,
    ReadOnlyMemory<byte> SignedAttributes,
    ReadOnlyMemory<byte> SignatureAlgorithm,
    ReadOnlyMemory<byte> Signature);

/// <summary>The parts of an attached CMS SignedData in the one shape this project writes (RFC 5652 §5.1, DER, no CRLs, no
/// unsigned attributes), read without SignedCms or certificate objects: what <see cref="KnownSigners"/> checks.</summary>
/// <remarks>Anything else (BER, CRLs, unsigned attributes, other versions, trailing bytes) reads as null, and the caller
/// takes the full SignedCms path, which decides; this reader never refuses anything by itself.</remarks>
internal sealed record SignedDataLayout(
    string ContentType,
    ReadOnlyMemory<byte> Content,
    ReadOnlyMemory<byte> Certificates,
    IReadOnlyList<SignerInfoLayout> Signers)
{
    /// <summary>id-signedData (RFC 5652 §5.1).</summary>
    private const string SignedDataOid = "1.2.840.113549.1.7.2";

    /// <summary>More signers than this is not the shape this project writes: the full path decides.</summary>
    private const int MaxSigners = 8;

    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Context1 = new(TagClass.ContextSpecific, 1, isConstructed: true);
    private static readonly Asn1Tag SubjectKeyIdentifier = new(TagClass.ContextSpecific, 0);

    public static SignedDataLayout? ReadOrNull(ReadOnlyMemory<byte> cms)
    {
        try
        {
            var outer = new AsnReader(cms, AsnEncodingRules.DER);
            var contentInfo = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            if (contentInfo.ReadObjectIdentifier() != SignedDataOid)
            {
                return null;
            }

            var explicitSignedData = contentInfo.ReadSequence(Context0);
            contentInfo.ThrowIfNotEmpty();
            var signedData = explicitSignedData.ReadSequence();
            explicitSignedData.ThrowIfNotEmpty();
            return ReadSignedData(signedData);
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static SignedDataLayout? ReadSignedData(AsnReader signedData)
    {
        if (!signedData.TryReadInt32(out var version) || version != 3)
        {
            return null;
        }

        signedData.ReadEncodedValue(); // digestAlgorithms: the caller checks it with SignedDataDigests, as the full path does
        var encapsulated = signedData.ReadSequence();
        var contentType = encapsulated.ReadObjectIdentifier();
        var explicitContent = encapsulated.ReadSequence(Context0);
        encapsulated.ThrowIfNotEmpty();
        var content = explicitContent.ReadOctetString();
        explicitContent.ThrowIfNotEmpty();

        var certificates = signedData.PeekTag().HasSameClassAndValue(Context0) ? signedData.ReadEncodedValue() : ReadOnlyMemory<byte>.Empty;
        if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(Context1))
        {
            return null; // CRLs: not this project's shape
        }

        var signerSet = signedData.ReadSetOf();
        signedData.ThrowIfNotEmpty();
        var signers = new List<SignerInfoLayout>();
        while (signerSet.HasData)
        {
            if (signers.Count == MaxSigners || ReadSigner(signerSet.ReadSequence()) is not { } signer)
            {
                return null;
            }

            signers.Add(signer);
        }

        return signers.Count == 0 ? null : new SignedDataLayout(contentType, content, certificates, signers);
    }

    private static SignerInfoLayout? ReadSigner(AsnReader signer)
    {
        if (!signer.TryReadInt32(out var version))
        {
            return null;
        }

        var sidTag = signer.PeekTag();
        if (!sidTag.HasSameClassAndValue(Asn1Tag.Sequence) && !sidTag.HasSameClassAndValue(SubjectKeyIdentifier))
        {
            return null;
        }

        var identifier = signer.ReadEncodedValue();
        var digestAlgorithm = signer.ReadEncodedValue();
        if (!signer.PeekTag().HasSameClassAndValue(Context0))
        {
            return null; // no signed attributes: not this project's shape
        }

        var signedAttributes = signer.ReadEncodedValue();
        var signatureAlgorithm = signer.ReadEncodedValue();
        var signature = signer.ReadOctetString();
        if (signer.HasData)
        {
            return null; // unsigned attributes
        }

        var expectedVersion = sidTag.HasSameClassAndValue(SubjectKeyIdentifier) ? 3 : 1;
        return version == expectedVersion
            ? new SignerInfoLayout(version, identifier, digestAlgorithm, signedAttributes, signatureAlgorithm, signature)
            : null;
    }
}
