using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Trust;

/// <summary>Proof that exact CMS bytes passed every signature and chain check under one trust policy, and for how long
/// that stays true: a host re-verifying an unchanged manifest on every poll can skip building the chains.</summary>
/// <remarks>
/// Signature and chain checks are a function of the bytes, the policy and the time only (no revocation is consulted),
/// so the outcome is the same while the time lies inside every involved certificate's validity; the window is the
/// intersection of the validity of all certificates in the CMS and all pinned roots, which contains any chain built
/// from them. Manifest freshness (issued/expires) is still checked on every use. Keep memos where the host keeps its
/// trusted state: anyone who can write them can also change the pinned roots.
/// </remarks>
public sealed record SignatureMemo(string CmsSha256, string PolicySha256, DateTimeOffset NotBefore, DateTimeOffset NotAfter)
{
    /// <summary>Whether this memo vouches for <paramref name="cmsSha256"/> under <paramref name="policySha256"/> at <paramref name="now"/>.</summary>
    public bool Covers(string cmsSha256, string policySha256, DateTimeOffset now) =>
        CmsSha256 == cmsSha256 && PolicySha256 == policySha256 && now >= NotBefore && now < NotAfter;

    internal static SignatureMemo For(string cmsSha256, TrustPolicy policy, SignedCms cms)
    {
        var certificates = cms.Certificates.Cast<X509Certificate2>().Concat(policy.Roots).ToList();
        var notBefore = certificates.Max(c => new DateTimeOffset(c.NotBefore.ToUniversalTime()));
        var notAfter = certificates.Min(c => new DateTimeOffset(c.NotAfter.ToUniversalTime()));
        return new SignatureMemo(cmsSha256, Fingerprint(policy), notBefore, notAfter);
    }

    /// <summary>SHA-256 over everything in the policy that decides trust: the roots, the threshold and the required EKU.</summary>
    public static string Fingerprint(TrustPolicy policy)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var root in policy.Roots)
        {
            hash.AppendData(SHA256.HashData(root.RawData));
        }

        hash.AppendData(BitConverter.GetBytes(policy.SignerThreshold));
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(policy.RequiredEku));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public static string HashOf(ReadOnlySpan<byte> cms) => Convert.ToHexStringLower(SHA256.HashData(cms));
}
