using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Tests.Updates;

/// <summary>The certificates a repository simulator signs with: a good chain and one signer per way to be wrong.</summary>
/// <remarks>Made in memory once per test class (xUnit class fixture), ECDSA P-256 so the whole set takes milliseconds;
/// the approach is that of LivePatch.Core.Tests' TestPki.</remarks>
public sealed class SimulatorPki
{
    /// <summary>The time the simulator signs at and every host's FakeTimeProvider starts at.</summary>
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public SimulatorPki()
    {
        Root = CreateCa("Simulator root CA", issuer: null, pathLength: 1);
        var intermediate = CreateCa("Simulator intermediate CA", Root, pathLength: 0);
        ManifestSigner = Identity(CreateLeaf("Manifest signer", intermediate), intermediate);
        SecondSigner = Identity(CreateLeaf("Second manifest signer", Root));
        WrongEkuSigner = Identity(CreateLeaf("Code signer", Root, eku: LivePatchOids.CodeSigningEku));
        ExpiredSigner = Identity(CreateLeaf("Expired signer", Root, notBefore: Now.AddYears(-2), notAfter: Now.AddDays(-1)));
        var untrustedRoot = CreateCa("Untrusted root CA", issuer: null, pathLength: 0);
        UntrustedSigner = Identity(CreateLeaf("Untrusted signer", untrustedRoot));
    }

    /// <summary>The root hosts pin.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>Signs through an intermediate, so the chain in the CMS is exercised.</summary>
    public SigningIdentity ManifestSigner { get; }

    /// <summary>A second trusted key, for the threshold.</summary>
    public SigningIdentity SecondSigner { get; }

    public SigningIdentity WrongEkuSigner { get; }

    public SigningIdentity ExpiredSigner { get; }

    public SigningIdentity UntrustedSigner { get; }

    /// <summary>The root as a host keeps it: public part only, PEM.</summary>
    public string RootPem() => Root.ExportCertificatePem();

    private static SigningIdentity Identity(X509Certificate2 leaf, params X509Certificate2[] intermediates) =>
        new() { Certificate = leaf, Intermediates = intermediates };

    private static X509Certificate2 CreateCa(string name, X509Certificate2? issuer, int pathLength)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=LivePatch Simulator", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForCertificateAuthority(pathLength));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null)
        {
            return request.CreateSelfSigned(Now.AddYears(-5), Now.AddYears(10));
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var issued = request.Create(issuer, Now.AddYears(-3), Now.AddYears(5), Serial());
        return issued.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 CreateLeaf(string name, X509Certificate2 issuer, DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null, string eku = LivePatchOids.ManifestSigningEku)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=LivePatch Simulator", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForEndEntity(true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        using var issued = request.Create(issuer, notBefore ?? Now.AddDays(-30), notAfter ?? Now.AddYears(1), Serial());
        return issued.CopyWithPrivateKey(key);
    }

    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01); // positive, no leading zero byte
        return serial;
    }
}
