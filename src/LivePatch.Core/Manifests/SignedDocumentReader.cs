using LivePatch.Core.Trust;

namespace LivePatch.Core.Manifests;

/// <summary>The steps every signed repository document (manifest, index, coverage bin) goes through, in order: the CMS
/// signature, chain, EKU and threshold for the document's own content type; parsing of exactly the verified bytes; then
/// freshness (TUF freeze attack).</summary>
internal static class SignedDocumentReader
{
    /// <summary>The document, or the first issue; <paramref name="signed"/> is the signature's result either way.</summary>
    public static (T? Document, VerificationIssue? Issue) Read<T>(SignedContentVerifier signatures, ReadOnlySpan<byte> cms,
        string contentType, SignatureMemo? memo, ContentParser<T> parse, Func<T, VerificationIssue?> freshness,
        out SignedContentResult signed)
        where T : class
    {
        // Step 3. A document's own content type refuses any other kind presented as it (cms-wrong-content-type).
        signed = signatures.Verify(cms, contentType, memo);
        if (!signed.IsValid)
        {
            return (null, signed.Issue);
        }

        // Parse only the bytes that were verified (no canonicalisation, no second parser).
        T document;
        try
        {
            document = parse(signed.Content);
        }
        catch (LivePatchFormatException e)
        {
            return (null, new(e.Error, e.Message));
        }

        // Step 5: freshness.
        return freshness(document) is { } stale ? (null, stale) : (document, null);
    }

    /// <summary>A Core deserializer of verified bytes (span-taking, so not a <see cref="Func{T, TResult}"/>).</summary>
    public delegate T ContentParser<out T>(ReadOnlySpan<byte> content);
}
