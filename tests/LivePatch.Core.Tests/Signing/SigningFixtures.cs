using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Signing;

namespace LivePatch.Core.Tests.Signing;

/// <summary>The signed modules and keys made by tests/fixtures/make-fixtures.sh, and test-only builders;
/// paths, module bytes and modinfo output come from <see cref="FixtureFiles"/>.</summary>
internal static class SigningFixtures
{
    /// <summary>Every fixture module signed by sign-file that a keyring of its own certificate must accept.</summary>
    public static readonly TheoryData<string, string> ValidSignedModules = new()
    {
        { "lp_sample.rsa2048-sha256.ko", "rsa2048" },
        { "lp_sample.rsa4096-sha512.ko", "rsa4096" },
        { "lp_sample.ecdsa-p384-sha384.ko", "ecdsa-p384" },
        { "lp_sample.rsa2048-sha256-skid.ko", "rsa2048" },
        { "plain.rsa2048-sha256.ko", "rsa2048" },
    };

    public static readonly string[] AllSignedModules =
    [
        "lp_sample.rsa2048-sha256.ko", "lp_sample.rsa4096-sha512.ko", "lp_sample.ecdsa-p384-sha384.ko",
        "lp_sample.rsa2048-sha256-skid.ko", "lp_sample.rsa2048-sha1.ko", "lp_sample.other-sha256.ko",
    ];

    public const string UnsignedModule = "lp_sample.ko";

    public static string KeyPath(string key, string extension) => FixtureFiles.PathOf("keys", $"{key}.{extension}");

    public static X509Certificate2 Certificate(string key) =>
        X509CertificateLoader.LoadCertificateFromFile(KeyPath(key, "pem"));

    public static X509Certificate2 SigningCertificate(string key) =>
        ModuleSigner.LoadSigningCertificate(KeyPath(key, "pem"), KeyPath(key, "key"));

    public static ModuleKeyring Keyring(params string[] keys) => new(keys.Select(Certificate));

    /// <summary>Appends a signature in the kernel layout without ModuleSigner's refusals (for nested signatures).</summary>
    public static byte[] AppendRawSignature(byte[] body, X509Certificate2 certificateWithKey)
    {
        using var rsa = certificateWithKey.GetRSAPrivateKey()!;
        byte[] signature = rsa.SignData(body, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        byte[] cms = ModuleCmsWriter.Write(new ModuleCmsWriter.SignerId(certificateWithKey, null),
            "2.16.840.1.101.3.4.2.1", "1.2.840.113549.1.1.1", true, signature);
        return AppendCms(body, cms);
    }

    /// <summary>body + cms + struct module_signature + magic.</summary>
    public static byte[] AppendCms(byte[] body, byte[] cms)
    {
        var module = new byte[body.Length + cms.Length + ModuleSignatureTrailer.Length];
        body.CopyTo(module, 0);
        cms.CopyTo(module, body.Length);
        ModuleSignatureTrailer.Write(module.AsSpan(body.Length + cms.Length), cms.Length);
        return module;
    }

    /// <summary>Offset of struct module_signature in a signed module.</summary>
    public static int StructOffset(byte[] module) => module.Length - ModuleSignatureTrailer.Length;
}
