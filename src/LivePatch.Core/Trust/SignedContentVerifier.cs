using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Trust;

/// <summary>Verifies attached CMS SignedData against a <see cref="TrustPolicy"/>; fails closed.</summary>
/// <remarks>
/// Steps (docs/manifests.md): decode, content type, then per SignerInfo the signature over signed
/// attributes (RFC 5652 §5.4) and the signer certificate (<see cref="SignerCertificateValidator"/>), then the
/// threshold of distinct trusted signers. Signers the policy does not trust are not counted rather than fatal,
/// as in TUF, so content signed by an old and a new key verifies during a rotation; a broken signature is fatal.
/// </remarks>
public sealed class SignedContentVerifier(TrustPolicy policy, TimeProvider time)
{
    private const int SignedDataVersion = 3;
    private const string ContentTypeAttributeOid = SignedContentSigner.ContentTypeAttributeOid;
    private const string MessageDigestAttributeOid = SignedContentSigner.MessageDigestAttributeOid;

    /// <summary>SHA-256/384/512 (RFC 5754); SHA-1 and MD5 are refused.</summary>
    private static readonly HashSet<string> AllowedDigests =
        ["2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.2", "2.16.840.1.101.3.4.2.3"];

    private readonly SignerCertificateValidator _certificates = new(policy, time);
    private readonly KnownSigners _known = new(policy);

    public SignedContentResult Verify(ReadOnlySpan<byte> cms, string expectedContentTypeOid) => Verify(cms, expectedContentTypeOid, null);

    /// <summary>As <see cref="Verify(ReadOnlySpan{byte}, string)"/>, but bytes a <paramref name="memo"/> vouches for
    /// (same bytes, same policy, inside its validity window) are only decoded, not verified again.</summary>
    public SignedContentResult Verify(ReadOnlySpan<byte> cms, string expectedContentTypeOid, SignatureMemo? memo)
    {
        if (policy.SignerThreshold < 1)
        {
            // A threshold of 0 would accept unsigned content; refuse rather than trust nothing.
            return SignedContentResult.Refused(ErrorCodes.SignerThresholdNotMet, "The signer threshold must be at least 1.");
        }

        // Documents by a signer this instance already accepted take the short path (KnownSigners: it accepts or defers).
        var bytes = cms.ToArray();
        var layout = SignedDataLayout.ReadOrNull(bytes);
        if (memo is null && layout is not null && _known.TryVerify(bytes, layout, expectedContentTypeOid, time.GetUtcNow()) is { } known)
        {
            return known;
        }

        var decoded = Decode(cms, out var signedCms);
        if (decoded is not null)
        {
            return SignedContentResult.Refused(decoded);
        }

        var issue = CheckContentType(signedCms!, expectedContentTypeOid)
            ?? CheckHasSigners(signedCms!)
            ?? CheckDigestAlgorithms(cms, signedCms!);
        if (issue is not null)
        {
            return SignedContentResult.Refused(issue);
        }

        var cmsSha256 = SignatureMemo.HashOf(cms);
        if (memo is not null && memo.Covers(cmsSha256, SignatureMemo.Fingerprint(policy), time.GetUtcNow()))
        {
            return new SignedContentResult { Content = signedCms!.ContentInfo.Content, Memo = memo };
        }

        var result = CheckSigners(signedCms!, out var signerCertificates);
        if (!result.IsValid)
        {
            return result;
        }

        var verified = result with { Memo = SignatureMemo.For(cmsSha256, policy, signedCms!) };
        if (layout is not null)
        {
            _known.Learn(layout, signerCertificates, verified.Memo);
        }

        return verified;
    }

    private static VerificationIssue? Decode(ReadOnlySpan<byte> cms, out SignedCms? signedCms)
    {
        signedCms = null;
        var trailing = CheckSingleContentInfo(cms);
        if (trailing is not null)
        {
            return trailing;
        }

        signedCms = new SignedCms();
        try
        {
            signedCms.Decode(cms);
            // Touch the lazily decoded parts now, so malformed certificates surface here as "malformed".
            _ = signedCms.Certificates.Count;
            _ = signedCms.SignerInfos.Count;
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException)
        {
            signedCms = null;
            return new(ErrorCodes.CmsMalformed, $"Not a valid CMS SignedData structure: {e.Message}");
        }

        // RFC 5652 §5.1: version is 3 when eContentType is not id-data, which holds for every type we accept.
        // Refusing other values leaves no unsigned field that changes meaning without failing verification.
        if (signedCms.Version != SignedDataVersion)
        {
            return new(ErrorCodes.CmsMalformed, $"CMS SignedData version is {signedCms.Version}, expected {SignedDataVersion}.");
        }

        // A SignedCms decoded as attached reports absent eContent (a detached signature) as empty content;
        // empty content is never a valid manifest or index either.
        if (signedCms.ContentInfo.Content.Length == 0)
        {
            return new(ErrorCodes.CmsNoContent, "CMS SignedData has no or empty encapsulated content (detached signature?).");
        }

        return null;
    }

    /// <summary>The input must be one ContentInfo and nothing after it.</summary>
    /// <remarks>
    /// SignedCms.Decode ignores bytes after the ContentInfo. No signature covers them, so accepting them would let a
    /// mirror append anything and still pass, giving one signed manifest endless encodings and hashes.
    /// </remarks>
    private static VerificationIssue? CheckSingleContentInfo(ReadOnlySpan<byte> cms)
    {
        try
        {
            AsnDecoder.ReadEncodedValue(cms, AsnEncodingRules.BER, out _, out _, out var consumed);
            return consumed == cms.Length
                ? null
                : new(ErrorCodes.CmsMalformed, $"{cms.Length - consumed} byte(s) follow the CMS ContentInfo.");
        }
        catch (AsnContentException e)
        {
            return new(ErrorCodes.CmsMalformed, $"Not a valid CMS SignedData structure: {e.Message}");
        }
    }

    private static VerificationIssue? CheckContentType(SignedCms cms, string expected)
    {
        var actual = cms.ContentInfo.ContentType.Value;
        return string.Equals(actual, expected, StringComparison.Ordinal)
            ? null
            : new(ErrorCodes.CmsWrongContentType, $"CMS content type is {actual}, expected {expected}.");
    }

    private static VerificationIssue? CheckHasSigners(SignedCms cms) =>
        cms.SignerInfos.Count == 0 ? new(ErrorCodes.CmsNoSigners, "CMS SignedData has no signers.") : null;

    /// <summary>The unsigned digestAlgorithms set must list exactly the SignerInfos' digests (RFC 5652 §5.1).</summary>
    private static VerificationIssue? CheckDigestAlgorithms(ReadOnlySpan<byte> encoded, SignedCms cms)
    {
        var declared = SignedDataDigests.Read(encoded);
        var used = cms.SignerInfos.Cast<SignerInfo>().Select(s => s.DigestAlgorithm.Value ?? "").ToHashSet(StringComparer.Ordinal);
        return declared is not null && declared.SetEquals(used)
            ? null
            : new(ErrorCodes.CmsMalformed, "CMS digestAlgorithms does not match the signers' digest algorithms.");
    }

    /// <summary>Checks every SignerInfo; <c>signerCertificates</c> gets, per SignerInfo in order, its certificate when trusted, else null.</summary>
    private SignedContentResult CheckSigners(SignedCms cms, out List<X509Certificate2?> signerCertificates)
    {
        signerCertificates = [];
        var trusted = new Dictionary<string, X509Certificate2>(StringComparer.Ordinal);
        VerificationIssue? firstUntrusted = null;
        foreach (var signerInfo in cms.SignerInfos)
        {
            try
            {
                // Integrity problems are fatal whatever the threshold: the bytes are not what was signed.
                var broken = CheckSignerInfo(signerInfo, cms.ContentInfo.ContentType.Value!);
                if (broken is not null)
                {
                    return SignedContentResult.Refused(broken);
                }

                var certificate = signerInfo.Certificate!;
                var untrusted = _certificates.Validate(certificate, cms.Certificates);
                signerCertificates.Add(untrusted is null ? certificate : null);
                if (untrusted is not null)
                {
                    firstUntrusted ??= untrusted;
                    continue;
                }

                // Distinct by public key: one key signing twice (or under two certificates) counts once.
                trusted.TryAdd(SpkiHash(certificate), certificate);
            }
            catch (Exception e) when (e is CryptographicException or AsnContentException)
            {
                // Certificates and attributes decode lazily; a malformed one surfaces only when read.
                return SignedContentResult.Refused(ErrorCodes.CmsMalformed, $"Malformed signer data: {e.Message}");
            }
        }

        return Threshold(cms, trusted.Values.ToList(), firstUntrusted);
    }

    private SignedContentResult Threshold(SignedCms cms, List<X509Certificate2> trusted, VerificationIssue? firstUntrusted)
    {
        if (trusted.Count >= policy.SignerThreshold)
        {
            return new SignedContentResult { Content = cms.ContentInfo.Content, TrustedSigners = trusted };
        }

        if (trusted.Count == 0 && firstUntrusted is not null)
        {
            return SignedContentResult.Refused(firstUntrusted);
        }

        return SignedContentResult.Refused(ErrorCodes.SignerThresholdNotMet,
            $"{trusted.Count} distinct trusted signer(s), the policy requires {policy.SignerThreshold}.");
    }

    private static VerificationIssue? CheckSignerInfo(SignerInfo signerInfo, string contentType)
    {
        if (signerInfo.Certificate is null)
        {
            return new(ErrorCodes.SignerCertificateMissing, "The signer's certificate is not in the CMS certificates.");
        }

        // RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier.
        var expectedVersion = signerInfo.SignerIdentifier.Type == SubjectIdentifierType.SubjectKeyIdentifier ? 3 : 1;
        if (signerInfo.Version != expectedVersion)
        {
            return new(ErrorCodes.CmsMalformed, $"SignerInfo version is {signerInfo.Version}, expected {expectedVersion}.");
        }

        if (!AllowedDigests.Contains(signerInfo.DigestAlgorithm.Value ?? ""))
        {
            return new(ErrorCodes.CmsWeakDigest, $"Digest algorithm {signerInfo.DigestAlgorithm.Value} is not allowed.");
        }

        return CheckSignedAttributes(signerInfo, contentType) ?? CheckSignature(signerInfo);
    }

    /// <summary>RFC 5652 §5.3: with signed attributes, contentType must equal eContentType and messageDigest be present.</summary>
    private static VerificationIssue? CheckSignedAttributes(SignerInfo signerInfo, string contentType)
    {
        var attributes = signerInfo.SignedAttributes;
        var digest = attributes.Cast<CryptographicAttributeObject>().Where(a => a.Oid.Value == MessageDigestAttributeOid).ToList();
        var types = attributes.Cast<CryptographicAttributeObject>().Where(a => a.Oid.Value == ContentTypeAttributeOid).ToList();
        if (digest is not [{ Values.Count: 1 }] || types is not [{ Values.Count: 1 }])
        {
            return new(ErrorCodes.CmsSignedAttributesInvalid,
                "The signer must have exactly one messageDigest and one contentType signed attribute.");
        }

        var signedType = ReadOid(types[0].Values[0].RawData);
        return signedType == contentType
            ? null
            : new(ErrorCodes.CmsSignedAttributesInvalid, $"Signed contentType {signedType} differs from eContentType {contentType}.");
    }

    private static VerificationIssue? CheckSignature(SignerInfo signerInfo)
    {
        try
        {
            // Signature only: trust in the certificate is decided by SignerCertificateValidator, not the system store.
            signerInfo.CheckSignature(verifySignatureOnly: true);
            return null;
        }
        catch (CryptographicException e)
        {
            return new(ErrorCodes.CmsSignatureInvalid, $"Signature of {signerInfo.Certificate!.Subject} is invalid: {e.Message}");
        }
    }

    private static string? ReadOid(byte[] der)
    {
        try
        {
            return new AsnReader(der, AsnEncodingRules.DER).ReadObjectIdentifier();
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static string SpkiHash(X509Certificate2 certificate) =>
        Convert.ToHexString(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
}
