namespace LivePatch.Core.Trust;

/// <summary>Wraps bytes in an attached CMS SignedData (RFC 5652) with one SignerInfo per signer, in one call.</summary>
/// <remarks>
/// Prepares a <see cref="SignedContentSigner"/> for the call and drops it: fine for one document (the CLI, tests). Whoever
/// signs many, as the server does, holds a <see cref="SignedContentSigner"/>, which does the preparing once.
/// Wire form of manifests, indexes and coverage bins (docs/manifests.md): eContentType is a project OID, signed
/// attributes are contentType, messageDigest and signingTime, digest SHA-256, certificates are the signer chains
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
        using var signer = new SignedContentSigner(signers);
        return signer.Sign(content, contentTypeOid, signingTime);
    }
}
