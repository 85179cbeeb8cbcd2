using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Signing;
using Xunit.Abstractions;
using static LivePatch.Core.Tests.Signing.SigningFixtures;
using static LivePatch.Testing.FixtureFiles;

namespace LivePatch.Core.Tests.Signing;

public sealed class ModuleSignerTests(ITestOutputHelper output)
{
    private const string ModinfoPath = "/usr/sbin/modinfo";

    [Theory]
    [InlineData("rsa2048", "SHA256", false, "lp_sample.rsa2048-sha256.ko")]
    [InlineData("rsa4096", "SHA512", false, "lp_sample.rsa4096-sha512.ko")]
    [InlineData("rsa2048", "SHA256", true, "lp_sample.rsa2048-sha256-skid.ko")]
    public void Sign_RsaKey_IsByteIdenticalToSignFile(string key, string hash, bool skid, string expected)
    {
        var options = new ModuleSigningOptions { UseSubjectKeyIdentifier = skid };

        byte[] signed = ModuleSigner.Sign(Module(UnsignedModule), SigningCertificate(key), new HashAlgorithmName(hash), options);

        Assert.Equal(Module(expected), signed);
    }

    [Fact]
    public void Sign_EcdsaKey_VerifiesAndParses()
    {
        byte[] signed = ModuleSigner.Sign(Module(UnsignedModule), SigningCertificate("ecdsa-p384"), HashAlgorithmName.SHA384);

        var result = new ModuleVerifier(Keyring("ecdsa-p384")).Verify(signed);

        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Equal("ECDSA", result.Signature!.SignatureAlgorithm);
        Assert.Equal(Modinfo("lp_sample.ecdsa-p384-sha384.ko")["sig_key"], result.Signature.KeyId);
    }

    [Fact]
    public void Sign_EcdsaKey_ModinfoShowsSignerAndKey()
    {
        if (!File.Exists(ModinfoPath))
        {
            output.WriteLine($"{ModinfoPath} is not installed (kmod); skipping the modinfo interop check");
            return;
        }
        byte[] signed = ModuleSigner.Sign(Module(UnsignedModule), SigningCertificate("ecdsa-p384"), HashAlgorithmName.SHA384);
        string path = Path.Combine(Path.GetTempPath(), $"lp_sample.{Guid.NewGuid():N}.ko");
        File.WriteAllBytes(path, signed);
        try
        {
            var fields = ParseModinfo(RunModinfo(path));
            var expected = FixtureFiles.Modinfo("lp_sample.ecdsa-p384-sha384.ko");

            Assert.Equal(expected["signer"], fields["signer"]);
            Assert.Equal(expected["sig_key"], fields["sig_key"]);
            Assert.Equal("sha384", fields["sig_hashalgo"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Sign_AlreadySigned_ThrowsAlreadyPresent()
    {
        var e = Assert.Throws<LivePatchFormatException>(() =>
            ModuleSigner.Sign(Module("lp_sample.other-sha256.ko"), SigningCertificate("rsa2048"), HashAlgorithmName.SHA256));

        Assert.Equal(ErrorCodes.SignatureAlreadyPresent, e.Code);
    }

    [Theory]
    [InlineData("lp_sample.other-sha256.ko")]
    [InlineData("lp_sample.rsa2048-sha1.ko")]
    public void Sign_ReplaceExisting_EqualsSigningTheUnsignedModule(string signedModule)
    {
        var replace = new ModuleSigningOptions { ReplaceExistingSignature = true };

        byte[] resigned = ModuleSigner.Sign(Module(signedModule), SigningCertificate("rsa2048"), HashAlgorithmName.SHA256, replace);

        Assert.Equal(Module("lp_sample.rsa2048-sha256.ko"), resigned);
    }

    [Fact]
    public void Sign_ReplaceOnTwiceSignedModule_LeavesOneSignature()
    {
        byte[] twice = AppendRawSignature(Module("lp_sample.other-sha256.ko"), SigningCertificate("rsa2048"));
        var replace = new ModuleSigningOptions { ReplaceExistingSignature = true };

        byte[] resigned = ModuleSigner.Sign(twice, SigningCertificate("rsa2048"), HashAlgorithmName.SHA256, replace);

        Assert.Equal(Module("lp_sample.rsa2048-sha256.ko"), resigned);
    }

    [Theory]
    [InlineData("SHA1")]
    [InlineData("MD5")]
    [InlineData("SHA3-256")]
    public void Sign_DigestNotAllowed_ThrowsDigestUnsupported(string hash)
    {
        var e = Assert.Throws<LivePatchFormatException>(() =>
            ModuleSigner.Sign(Module(UnsignedModule), SigningCertificate("rsa2048"), new HashAlgorithmName(hash)));

        Assert.Equal(ErrorCodes.SignatureDigestUnsupported, e.Code);
    }

    [Fact]
    public void Sign_CertificateWithoutPrivateKey_ThrowsSigningKeyMissing()
    {
        var e = Assert.Throws<LivePatchFormatException>(() =>
            ModuleSigner.Sign(Module(UnsignedModule), Certificate("rsa2048"), HashAlgorithmName.SHA256));

        Assert.Equal(ErrorCodes.SigningKeyMissing, e.Code);
    }

    [Fact]
    public void Sign_SkidWithoutExtension_ThrowsKeyUnsupported()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=No SKID", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var options = new ModuleSigningOptions { UseSubjectKeyIdentifier = true };

        var e = Assert.Throws<LivePatchFormatException>(() =>
            ModuleSigner.Sign(Module(UnsignedModule), certificate, HashAlgorithmName.SHA256, options));

        Assert.Equal(ErrorCodes.SignatureKeyUnsupported, e.Code);
    }

    [Fact]
    public void LoadSigningCertificate_KeyDoesNotMatch_ThrowsNamingTheFiles()
    {
        var e = Assert.Throws<LivePatchFormatException>(() =>
            ModuleSigner.LoadSigningCertificate(KeyPath("rsa2048", "pem"), KeyPath("rsa4096", "key")));

        Assert.Equal(ErrorCodes.SigningKeyMissing, e.Code);
        Assert.Contains("rsa2048.pem", e.Message, StringComparison.Ordinal);
    }

    private static string[] RunModinfo(string path)
    {
        var start = new ProcessStartInfo(ModinfoPath, [path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"modinfo exited with {process.ExitCode}: {process.StandardError.ReadToEnd()}");
        return output.Split('\n');
    }
}
