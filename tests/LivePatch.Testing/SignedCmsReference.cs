using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Trust;

namespace LivePatch.Testing;

/// <summary>Signs as <c>SignedContent.Sign</c> did with <see cref="SignedCms"/>: the reference output the faster signer is
/// compared with, and the baseline bench/signing measures it against.</summary>
public static class SignedCmsReference
{
    public static byte[] Sign(ReadOnlySpan<byte> content, string contentTypeOid, IReadOnlyList<SigningIdentity> signers, DateTimeOffset signingTime)
    {
        var cms = new SignedCms(new ContentInfo(new Oid(contentTypeOid), content.ToArray()), detached: false);
        foreach (var signer in signers)
        {
            cms.ComputeSignature(CreateCmsSigner(signer, signingTime), silent: true);
        }

        return cms.Encode();
    }

    private static CmsSigner CreateCmsSigner(SigningIdentity identity, DateTimeOffset signingTime)
    {
        // EndCertOnly plus explicit intermediates: the chain without the root, and no chain building.
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, identity.Certificate)
        {
            IncludeOption = X509IncludeOption.EndCertOnly,
            DigestAlgorithm = new Oid(SignedContent.Sha256Oid),
        };
        foreach (var intermediate in identity.Intermediates)
        {
            if (!intermediate.SubjectName.RawData.AsSpan().SequenceEqual(intermediate.IssuerName.RawData))
            {
                signer.Certificates.Add(intermediate);
            }
        }

        // contentType and messageDigest are added by SignedCms whenever signed attributes exist.
        signer.SignedAttributes.Add(new Pkcs9SigningTime(signingTime.UtcDateTime));
        return signer;
    }
}
