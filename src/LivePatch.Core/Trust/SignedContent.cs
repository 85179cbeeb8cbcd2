using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Trust;

/// <summary>Wraps bytes in an attached CMS SignedData (RFC 5652) with one SignerInfo per signer.</summary>
/// <remarks>
/// Wire form of manifests and indexes (docs/manifests.md): eContentType is a project OID, signed attributes
/// are contentType, messageDigest and signingTime, digest SHA-256, certificates are the signer chains
/// without roots (the verifier pins roots; shipping them would only invite trusting them).
/// </remarks>
public static class SignedContent
{
    /// <summary>id-sha256 (RFC 5754).</summary>
    public const string Sha256Oid = "2.16.840.1.101.3.4.2.1";

    public static byte[] Sign(
        ReadOnlySpan<byte> content,
        string contentTypeOid,
        IReadOnlyList<SigningIdentity> signers,
        DateTimeOffset signingTime)
    {
        ArgumentException.ThrowIfNullOrEmpty(contentTypeOid);
        ArgumentNullException.ThrowIfNull(signers);
        if (signers.Count == 0)
        {
            throw new ArgumentException("At least one signer is required.", nameof(signers));
        }

        var cms = new SignedCms(new ContentInfo(new Oid(contentTypeOid), content.ToArray()), detached: false);
        foreach (var signer in signers)
        {
            cms.ComputeSignature(CreateCmsSigner(signer, signingTime), silent: true);
        }

        return cms.Encode();
    }

    private static CmsSigner CreateCmsSigner(SigningIdentity identity, DateTimeOffset signingTime)
    {
        if (!identity.Certificate.HasPrivateKey)
        {
            throw new ArgumentException(
                $"Signing certificate {identity.Certificate.Subject} has no private key.", nameof(identity));
        }

        // EndCertOnly plus explicit intermediates gives "chain without the root" without building a chain
        // here: the signing server need not hold the root and must not consult the system store.
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, identity.Certificate)
        {
            IncludeOption = X509IncludeOption.EndCertOnly,
            DigestAlgorithm = new Oid(Sha256Oid),
        };
        foreach (var intermediate in identity.Intermediates)
        {
            if (!IsSelfIssued(intermediate))
            {
                signer.Certificates.Add(intermediate);
            }
        }

        // contentType and messageDigest are added by SignedCms whenever signed attributes exist.
        signer.SignedAttributes.Add(new Pkcs9SigningTime(signingTime.UtcDateTime));
        return signer;
    }

    private static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);
}
