using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Trust;

/// <summary>Decides whether a signer certificate is trusted under a <see cref="TrustPolicy"/> (RFC 5280).</summary>
/// <remarks>Only pinned roots anchor trust: no system store, no network (AIA, CRL, OCSP).
/// A chain that was trusted is remembered for this instance's lifetime while the time stays inside the validity of every
/// certificate that could be in it (as <see cref="SignatureMemo"/> argues: the outcome depends on the certificates, the
/// policy and the time only): a mirror sync verifying thousands of documents by one signer builds its chain once, not
/// once per document (about 40 ms each). Refusals are never remembered.</remarks>
internal sealed class SignerCertificateValidator(TrustPolicy policy, TimeProvider time)
{
    /// <summary>Distinct signer chains remembered; a repository has a handful of signers, more only costs rebuilding.</summary>
    private const int MaxRemembered = 64;

    private readonly Dictionary<string, (DateTimeOffset NotBefore, DateTimeOffset NotAfter)> _trusted = new(StringComparer.Ordinal);

    public VerificationIssue? Validate(X509Certificate2 signer, X509Certificate2Collection cmsCertificates)
    {
        var now = time.GetUtcNow();
        var key = ChainKey(signer, cmsCertificates);
        lock (_trusted)
        {
            if (_trusted.TryGetValue(key, out var window) && now >= window.NotBefore && now < window.NotAfter)
            {
                return null;
            }
        }

        var issue = ValidateChain(signer, cmsCertificates, now);
        if (issue is null)
        {
            Remember(key, signer, cmsCertificates);
        }

        return issue;
    }

    private static string ChainKey(X509Certificate2 signer, X509Certificate2Collection cmsCertificates)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(SHA256.HashData(signer.RawData));
        foreach (var digest in cmsCertificates.Select(c => Convert.ToHexString(SHA256.HashData(c.RawData))).Order(StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.ASCII.GetBytes(digest));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Keeps the window in which every certificate involved (the signer, the CMS's, the pinned roots) is valid.</summary>
    private void Remember(string key, X509Certificate2 signer, X509Certificate2Collection cmsCertificates)
    {
        var certificates = cmsCertificates.Append(signer).Concat(policy.Roots).ToList();
        var notBefore = certificates.Max(c => new DateTimeOffset(c.NotBefore.ToUniversalTime()));
        var notAfter = certificates.Min(c => new DateTimeOffset(c.NotAfter.ToUniversalTime()));
        lock (_trusted)
        {
            if (_trusted.Count >= MaxRemembered)
            {
                _trusted.Clear();
            }

            _trusted[key] = (notBefore, notAfter);
        }
    }

    private VerificationIssue? ValidateChain(X509Certificate2 signer, X509Certificate2Collection cmsCertificates, DateTimeOffset now)
    {
        using var chain = CreateChain(cmsCertificates, now);
        bool built;
        try
        {
            built = chain.Build(signer);
        }
        catch (CryptographicException e)
        {
            return new(ErrorCodes.SignerChainInvalid, $"Signer certificate chain cannot be built: {e.Message}");
        }

        return CheckAnchoredAtPinnedRoot(chain)
            ?? CheckValidity(signer, now)
            ?? CheckEku(signer)
            ?? CheckKeyUsage(signer)
            ?? (built ? null : ChainFailure(chain));
    }

    private X509Chain CreateChain(X509Certificate2Collection cmsCertificates, DateTimeOffset now)
    {
        var chain = new X509Chain();
        var p = chain.ChainPolicy;
        p.TrustMode = X509ChainTrustMode.CustomRootTrust;
        p.CustomTrustStore.AddRange(policy.Roots.ToArray());
        p.ExtraStore.AddRange(cmsCertificates);
        p.RevocationMode = X509RevocationMode.NoCheck;
        p.DisableCertificateDownloads = true;
        p.VerificationTime = now.UtcDateTime;
        p.VerificationTimeIgnored = false;
        p.ApplicationPolicy.Add(new(policy.RequiredEku));
        return chain;
    }

    /// <summary>The chain must end at a pinned root itself, whatever else is wrong with it.</summary>
    private VerificationIssue? CheckAnchoredAtPinnedRoot(X509Chain chain)
    {
        var untrustedStatus = chain.ChainStatus.Any(s => s.Status is X509ChainStatusFlags.UntrustedRoot
            or X509ChainStatusFlags.PartialChain or X509ChainStatusFlags.ExplicitDistrust);
        var elements = chain.ChainElements;
        var anchor = elements.Count > 0 ? elements[^1].Certificate : null;
        var pinned = anchor is not null && policy.Roots.Any(r => r.RawData.AsSpan().SequenceEqual(anchor.RawData));
        if (!untrustedStatus && pinned)
        {
            return null;
        }

        var subject = elements.Count > 0 ? elements[0].Certificate.Subject : "?";
        return new(ErrorCodes.SignerUntrusted, $"Signer {subject} does not chain to a pinned root.");
    }

    private static VerificationIssue? CheckValidity(X509Certificate2 signer, DateTimeOffset now)
    {
        if (now < new DateTimeOffset(signer.NotBefore.ToUniversalTime()))
        {
            return new(ErrorCodes.SignerNotYetValid, $"Signer {signer.Subject} is valid only from {signer.NotBefore:O}.");
        }

        if (now > new DateTimeOffset(signer.NotAfter.ToUniversalTime()))
        {
            return new(ErrorCodes.SignerExpired, $"Signer {signer.Subject} expired at {signer.NotAfter:O}.");
        }

        return null;
    }

    /// <summary>The EKU must list the required OID explicitly; an absent EKU or anyExtendedKeyUsage is not enough.</summary>
    private VerificationIssue? CheckEku(X509Certificate2 signer)
    {
        // RFC 5280 §4.2: an extension appears at most once; a repeated one is refused, not guessed at.
        var ekus = signer.Extensions.OfType<X509EnhancedKeyUsageExtension>().ToList();
        var listed = ekus is [var eku]
            && eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == policy.RequiredEku);
        return listed
            ? null
            : new(ErrorCodes.SignerWrongEku, $"Signer {signer.Subject} lacks extended key usage {policy.RequiredEku}.");
    }

    /// <summary>RFC 5280 §4.2.1.3: if keyUsage is present, digitalSignature is needed to verify signatures.</summary>
    private static VerificationIssue? CheckKeyUsage(X509Certificate2 signer)
    {
        var kus = signer.Extensions.OfType<X509KeyUsageExtension>().ToList();
        return kus.Count == 0 || (kus is [var ku] && ku.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature))
            ? null
            : new(ErrorCodes.SignerKeyUsage, $"Signer {signer.Subject} key usage lacks digitalSignature.");
    }

    private static VerificationIssue ChainFailure(X509Chain chain)
    {
        var statuses = string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}"));
        return new(ErrorCodes.SignerChainInvalid, $"Signer certificate chain is invalid: {statuses}");
    }
}
