using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core;
using LivePatch.Core.Trust;
using Microsoft.Extensions.Time.Testing;

namespace LivePatch.Testing;

/// <summary>In-memory certificates for trust tests: a good chain and one certificate per way to be wrong.</summary>
/// <remarks>ECDSA P-256 so the whole set is made in milliseconds (the RSA signers only when first asked for); one instance
/// shared by every test project.</remarks>
public sealed class TestPki
{
    /// <summary>The time every test runs at (FakeTimeProvider) and openssl verifies at (-attime).</summary>
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly Lazy<SigningIdentity> _rsaSigner;
    private readonly Lazy<SigningIdentity> _secondRsaSigner;

    public static TestPki Instance { get; } = new();

    private TestPki()
    {
        Root = CreateCa("Test root CA", issuer: null, pathLength: 1);
        Intermediate = CreateCa("Test intermediate CA", Root, pathLength: 0);
        ManifestSigner = Identity(CreateLeaf("Manifest signer", Intermediate), Intermediate);
        SecondSigner = Identity(CreateLeaf("Second signer", Root));
        ExpiredSigner = Identity(CreateLeaf("Expired signer", Root, notBefore: Now.AddYears(-2), notAfter: Now.AddDays(-1)));
        NotYetValidSigner = Identity(CreateLeaf("Future signer", Root, notBefore: Now.AddDays(1), notAfter: Now.AddYears(1)));
        WrongEkuSigner = Identity(CreateLeaf("Code signer", Root, eku: "1.3.6.1.5.5.7.3.3"));
        NoDigitalSignatureSigner = Identity(CreateLeaf("Non-repudiation signer", Root, keyUsage: X509KeyUsageFlags.NonRepudiation));
        UntrustedRoot = CreateCa("Untrusted root CA", issuer: null, pathLength: 0);
        UntrustedSigner = Identity(CreateLeaf("Untrusted signer", UntrustedRoot));
        _rsaSigner = new(() => Identity(CreateRsaLeaf("RSA signer", Intermediate), Intermediate));
        _secondRsaSigner = new(() => Identity(CreateRsaLeaf("Second RSA signer", Root)));
    }

    public X509Certificate2 Root { get; }
    public X509Certificate2 Intermediate { get; }
    public SigningIdentity ManifestSigner { get; }
    public SigningIdentity SecondSigner { get; }
    public SigningIdentity ExpiredSigner { get; }
    public SigningIdentity NotYetValidSigner { get; }
    public SigningIdentity WrongEkuSigner { get; }
    public SigningIdentity NoDigitalSignatureSigner { get; }
    public X509Certificate2 UntrustedRoot { get; }
    public SigningIdentity UntrustedSigner { get; }

    /// <summary>An RSA 2048 signer under the intermediate; made on first use, as RSA keys take a while.</summary>
    public SigningIdentity RsaSigner => _rsaSigner.Value;

    /// <summary>An RSA 2048 signer directly under the root; made on first use.</summary>
    public SigningIdentity SecondRsaSigner => _secondRsaSigner.Value;

    public static FakeTimeProvider Clock() => new(Now);

    /// <summary>A manifest signer under the intermediate, valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>:
    /// a signing certificate about to expire, for a server that must say so before hosts refuse it.</summary>
    public SigningIdentity ManifestSignerValid(DateTimeOffset notBefore, DateTimeOffset notAfter) =>
        Identity(CreateLeaf("Short-lived signer", Intermediate, notBefore, notAfter), Intermediate);

    /// <summary>Writes <paramref name="signer"/> as a server is configured with it: certificate, PKCS#8 key, intermediates and
    /// this PKI's root, as PEM files in <paramref name="folder"/>.</summary>
    public PemFiles WritePem(SigningIdentity signer, string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new PemFiles(Path.Combine(folder, "signer.pem"), Path.Combine(folder, "signer.key"), Path.Combine(folder, "chain.pem"), Path.Combine(folder, "root.pem"));
        File.WriteAllText(files.Certificate, signer.Certificate.ExportCertificatePem());
        using (var key = signer.Certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("an ECDSA signer with its key"))
        {
            File.WriteAllText(files.Key, key.ExportPkcs8PrivateKeyPem());
        }

        File.WriteAllText(files.Chain, string.Concat(signer.Intermediates.Select(c => c.ExportCertificatePem() + "\n")));
        File.WriteAllText(files.Root, RootPem());
        return files;
    }

    public TrustPolicy Policy(int threshold = 1) => new() { Roots = [Root], SignerThreshold = threshold };

    /// <summary>The root with its public part only, as a client would load it from PEM.</summary>
    public string RootPem() => Root.ExportCertificatePem();

    private static SigningIdentity Identity(X509Certificate2 leaf, params X509Certificate2[] intermediates) =>
        new() { Certificate = leaf, Intermediates = intermediates };

    private static X509Certificate2 CreateCa(string name, X509Certificate2? issuer, int pathLength)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=LivePatch Tests", key, HashAlgorithmName.SHA256);
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

    private static X509Certificate2 CreateLeaf(
        string name,
        X509Certificate2 issuer,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null,
        string eku = LivePatchOids.ManifestSigningEku,
        X509KeyUsageFlags keyUsage = X509KeyUsageFlags.DigitalSignature)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=LivePatch Tests", key, HashAlgorithmName.SHA256);
        AddLeafExtensions(request, issuer, eku, keyUsage);
        using var issued = request.Create(issuer, notBefore ?? Now.AddDays(-30), notAfter ?? Now.AddYears(1), Serial());
        return issued.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 CreateRsaLeaf(string name, X509Certificate2 issuer)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}, O=LivePatch Tests", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddLeafExtensions(request, issuer, LivePatchOids.ManifestSigningEku, X509KeyUsageFlags.DigitalSignature);
        // An RSA key under an ECDSA CA: the CA's signature is made by a generator for its own key type.
        using var issuerKey = issuer.GetECDsaPrivateKey()!;
        using var issued = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), Now.AddDays(-30), Now.AddYears(1), Serial());
        return issued.CopyWithPrivateKey(key);
    }

    private static void AddLeafExtensions(CertificateRequest request, X509Certificate2 issuer, string eku, X509KeyUsageFlags keyUsage)
    {
        request.CertificateExtensions.Add(X509BasicConstraintsExtension.CreateForEndEntity(true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
    }

    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }
}

/// <summary>Where <see cref="TestPki.WritePem"/> put a signer's files.</summary>
public sealed record PemFiles(string Certificate, string Key, string Chain, string Root);
