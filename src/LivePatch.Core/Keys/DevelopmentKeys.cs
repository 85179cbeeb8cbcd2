using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Keys;

/// <summary>Generates a development <see cref="KeyHierarchy"/> (<c>lpatch keys init</c>); production roots belong offline.</summary>
public static class DevelopmentKeys
{
    public const string Organization = "LivePatch Development";
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    public static KeyHierarchy Generate(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow();
        var root = CreateRoot(now);
        X509Certificate2? manifest = null;
        try
        {
            manifest = CreateManifestSigning(root, now);
            return new KeyHierarchy(root, manifest, CreateModuleSigning(now));
        }
        catch
        {
            manifest?.Dispose();
            root.Dispose();
            throw;
        }
    }

    /// <summary>ECDSA P-384, CA with pathLen 0: it only issues end-entity signing certificates (RFC 5280 §4.2.1.9).</summary>
    private static X509Certificate2 CreateRoot(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest(Subject("LivePatch development root CA"), key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForCertificateAuthority(0));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request.CreateSelfSigned(now - Backdate, now.AddYears(10));
    }

    /// <summary>ECDSA P-256 end entity with the project's manifest signing EKU; short-lived (1 year).</summary>
    private static X509Certificate2 CreateManifestSigning(X509Certificate2 root, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(Subject("LivePatch development manifest signing"), key, HashAlgorithmName.SHA384);
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForEndEntity(critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new(LivePatchOids.ManifestSigningEku) }, critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        var notAfter = Min(now.AddYears(1), root.NotAfter);
        using var issued = request.Create(root, now - Backdate, notAfter, NewSerial());
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>RSA 4096 self-signed, as the kernel's certs/default_x509.genkey makes signing_key.pem.</summary>
    private static X509Certificate2 CreateModuleSigning(DateTimeOffset now)
    {
        using var key = RSA.Create(4096);
        var request = new CertificateRequest(Subject("LivePatch development module signing key"), key,
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var skid = new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false);
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForEndEntity(critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new(LivePatchOids.CodeSigningEku) }, critical: false));
        request.CertificateExtensions.Add(skid);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(skid));
        return request.CreateSelfSigned(now - Backdate, now.AddYears(10));
    }

    private static X500DistinguishedName Subject(string commonName)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddOrganizationName(Organization);
        builder.AddCommonName(commonName);
        return builder.Build();
    }

    /// <summary>20 random bytes with the top bit clear: positive and unpredictable (RFC 5280 §4.1.2.2).</summary>
    private static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(20);
        serial[0] &= 0x7F;
        serial[0] |= 0x01;
        return serial;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTime b)
    {
        var other = new DateTimeOffset(b.ToUniversalTime());
        return a < other ? a : other;
    }
}
