using System.Formats.Asn1;

namespace LivePatch.Core.Trust;

/// <summary>Reads SignedData.digestAlgorithms, which SignedCms does not expose (RFC 5652 §5.1).</summary>
/// <remarks>
/// The set is not covered by any signature; checking it against the SignerInfos makes a flipped bit there a
/// refusal rather than silently accepted malleability.
/// </remarks>
internal static class SignedDataDigests
{
    /// <summary>The digest OIDs, or null when the set is malformed or has parameters other than absent/NULL (RFC 5754 §2).</summary>
    public static HashSet<string>? Read(ReadOnlySpan<byte> cms)
    {
        try
        {
            var contentInfo = new AsnReader(cms.ToArray(), AsnEncodingRules.BER).ReadSequence();
            contentInfo.ReadObjectIdentifier();
            var signedData = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
            signedData.ReadInteger();
            var set = signedData.ReadSetOf();
            var oids = new HashSet<string>(StringComparer.Ordinal);
            while (set.HasData)
            {
                var algorithm = set.ReadSequence();
                oids.Add(algorithm.ReadObjectIdentifier());
                if (algorithm.HasData)
                {
                    algorithm.ReadNull();
                }

                algorithm.ThrowIfNotEmpty();
            }

            return oids;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
