using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Trust;

/// <summary>Which signed content to trust: pinned roots, signer threshold, required EKU, clock skew.</summary>
/// <remarks>One immutable settings object, so every check reads policy from one place.</remarks>
public sealed record TrustPolicy
{
    /// <summary>Default tolerance for an <c>issued</c> time slightly ahead of the host clock.</summary>
    public static readonly TimeSpan DefaultMaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Pinned root certificates; nothing else (no system store) anchors trust.</summary>
    public required IReadOnlyList<X509Certificate2> Roots { get; init; }

    /// <summary>How many distinct trusted signers (by public key) signed content needs (TUF threshold).</summary>
    public int SignerThreshold { get; init; } = 1;

    /// <summary>Extended key usage each signer's certificate must carry.</summary>
    public string RequiredEku { get; init; } = LivePatchOids.ManifestSigningEku;

    public TimeSpan MaxClockSkew { get; init; } = DefaultMaxClockSkew;

    /// <summary>Reads every certificate from the given PEM files; fails if a file holds none.</summary>
    public static IReadOnlyList<X509Certificate2> LoadRoots(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var roots = new List<X509Certificate2>();
        foreach (var path in paths)
        {
            var collection = new X509Certificate2Collection();
            collection.ImportFromPemFile(path);
            if (collection.Count == 0)
            {
                throw new InvalidDataException($"No PEM certificate found in root file {path}.");
            }

            roots.AddRange(collection);
        }

        return roots;
    }
}
