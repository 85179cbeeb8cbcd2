using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Signing;
using static LivePatch.Core.Tests.Signing.SigningFixtures;
using static LivePatch.Testing.FixtureFiles;

namespace LivePatch.Core.Tests.Signing;

public sealed class ModuleVerifierTests
{
    public static TheoryData<string, string> SignedBySignFile => ValidSignedModules;

    [Theory]
    [MemberData(nameof(SignedBySignFile))]
    public void Verify_SignFileModule_IsValid(string module, string key)
    {
        var result = new ModuleVerifier(Keyring(key)).Verify(Module(module));

        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Equal(Certificate(key).Thumbprint, result.Signer!.Thumbprint);
    }

    [Fact]
    public void Verify_KeyringWithSeveralCertificates_FindsTheSigner()
    {
        var keyring = Keyring("other-rsa2048", "ecdsa-p384", "rsa4096", "rsa2048");

        var result = new ModuleVerifier(keyring).Verify(Module("lp_sample.rsa4096-sha512.ko"));

        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Equal(Certificate("rsa4096").Thumbprint, result.Signer!.Thumbprint);
    }

    [Fact]
    public void Verify_OneKeyringFromManyThreads_EachModuleCheckedAgainstItsOwnSignersKey()
    {
        // The keyring keeps the key objects it made (per certificate and key type) for the next check: shared by the
        // server's request threads, a key must never serve another signer's module, nor a forged one pass.
        var keyring = Keyring("rsa2048", "ecdsa-p384", "rsa4096");
        byte[] forged = Module("lp_sample.rsa4096-sha512.ko");
        forged[500] ^= 0x01;
        (byte[] Module, string? Signer)[] cases =
        [
            (Module("lp_sample.rsa2048-sha256.ko"), "rsa2048"), (Module("lp_sample.ecdsa-p384-sha384.ko"), "ecdsa-p384"),
            (Module("lp_sample.rsa4096-sha512.ko"), "rsa4096"), (forged, null),
        ];

        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var (module, signer) = cases[i % cases.Length];
            var result = new ModuleVerifier(keyring).Verify(module);
            if (result.IsValid != (signer is not null) || (signer is not null && result.Signer!.Thumbprint != Certificate(signer).Thumbprint)
                || (signer is null && result.Issue?.Code != ErrorCodes.SignatureInvalid))
            {
                wrong.Add($"case {i % cases.Length}: {result.Issue?.ToString() ?? "valid"}");
            }
        });

        Assert.Empty(wrong);
    }

    [Fact]
    public void Verify_TwoSignersWithOneIssuerAndSerial_EachModuleCheckedWithItsOwnKey()
    {
        // X509Certificate2 equality is issuer and serial: a keyring keeping key objects per certificate must tell these two
        // apart by the certificate itself, or the twin's module is checked with the first one's key (once that is kept).
        var first = Certificate("rsa2048");
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(first.SubjectName, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var issued = request.Create(first.IssuerName, X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), first.SerialNumberBytes.Span);
        using var twin = issued.CopyWithPrivateKey(key);
        var verifier = new ModuleVerifier(new ModuleKeyring([first, twin]));
        var byTwin = ModuleSigner.Sign(Module(UnsignedModule), twin, HashAlgorithmName.SHA256, new ModuleSigningOptions { UseSubjectKeyIdentifier = true });

        Assert.True(verifier.Verify(Module("lp_sample.rsa2048-sha256.ko")).IsValid); // the first one's key object is kept
        var result = verifier.Verify(byTwin);

        Assert.True(result.IsValid, result.Issue?.ToString());
        Assert.Equal(twin.Thumbprint, result.Signer!.Thumbprint);
    }

    [Fact]
    public void Verify_ExpiredSignerCertificate_IsValid()
    {
        // The kernel checks the key, not the certificate's validity dates (docs/architecture.md, "The chain of trust").
        using var expired = ExpiredCopyOfRsa2048();
        Assert.True(expired.NotAfter < DateTime.Now);

        var result = new ModuleVerifier(new ModuleKeyring([expired])).Verify(Module("lp_sample.rsa2048-sha256.ko"));

        Assert.True(result.IsValid, result.Issue?.ToString());
    }

    [Fact]
    public void Verify_UnsignedModule_ReportsMissing() =>
        AssertIssue(ErrorCodes.SignatureMissing, Module(UnsignedModule));

    [Fact]
    public void Verify_Sha1Signature_ReportsDigestUnsupported() =>
        AssertIssue(ErrorCodes.SignatureDigestUnsupported, Module("lp_sample.rsa2048-sha1.ko"));

    [Fact]
    public void Verify_SignerNotInKeyring_ReportsSignerUnknown() =>
        AssertIssue(ErrorCodes.SignatureSignerUnknown, Module("lp_sample.other-sha256.ko"));

    [Fact]
    public void Verify_EmptyKeyring_ReportsSignerUnknown()
    {
        var result = new ModuleVerifier(new ModuleKeyring([])).Verify(Module("lp_sample.rsa2048-sha256.ko"));

        Assert.Equal(ErrorCodes.SignatureSignerUnknown, result.Issue?.Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData(6879)]
    public void Verify_OneBodyByteFlipped_ReportsInvalid(int offset)
    {
        byte[] module = Module("lp_sample.rsa2048-sha256.ko");
        module[offset] ^= 0x01;

        var result = AssertIssue(ErrorCodes.SignatureInvalid, module);
        Assert.Contains("6880", result.Issue!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EcdsaBodyByteFlipped_ReportsInvalid()
    {
        byte[] module = Module("lp_sample.ecdsa-p384-sha384.ko");
        module[100] ^= 0x80;

        var result = new ModuleVerifier(Keyring("ecdsa-p384")).Verify(module);

        Assert.Equal(ErrorCodes.SignatureInvalid, result.Issue?.Code);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    [InlineData(40)]
    [InlineData(41)]
    [InlineData(300)]
    [InlineData(502)]
    public void Verify_TailCutOff_ReportsMissing(int cut)
    {
        byte[] module = Module("lp_sample.rsa2048-sha256.ko");

        AssertIssue(ErrorCodes.SignatureMissing, module[..^cut]);
    }

    [Theory]
    [InlineData(40, "signature-truncated")]
    [InlineData(300, "signature-truncated")]
    [InlineData(502, "signature-truncated")]
    [InlineData(503, "signature-invalid")]
    public void Verify_HeadCutOff_ReportsTruncatedOrInvalid(int keep, string code)
    {
        byte[] module = Module("lp_sample.rsa2048-sha256.ko");

        AssertIssue(code, module[^keep..]);
    }

    [Fact]
    public void Verify_CmsBytesRemovedInside_ReportsMalformed()
    {
        byte[] module = Module("lp_sample.rsa2048-sha256.ko");
        int cmsStart = ModuleSignatureReader.ReadOrNull(module)!.BodyLength;
        byte[] cut = [.. module[..(cmsStart + 100)], .. module[(cmsStart + 150)..]];

        AssertIssue(ErrorCodes.SignatureCmsMalformed, cut);
    }

    [Fact]
    public void Verify_IdTypeNotPkcs7_ReportsIdTypeUnsupported()
    {
        byte[] module = Module("lp_sample.rsa2048-sha256.ko");
        module[StructOffset(module) + 2] = 0;

        AssertIssue(ErrorCodes.SignatureIdTypeUnsupported, module);
    }

    [Fact]
    public void Verify_SignedAttributes_ReportsSignedAttributes() =>
        AssertIssue(ErrorCodes.SignatureSignedAttributes, ModuleSignatureReaderTests.SignedCmsWithAttributes(Module(UnsignedModule)));

    [Fact]
    public void Verify_SignedTwice_ReportsNested()
    {
        // The outer signature is valid, but it hides another one inside the signed bytes.
        byte[] twice = AppendRawSignature(Module("lp_sample.other-sha256.ko"), SigningCertificate("rsa2048"));

        AssertIssue(ErrorCodes.SignatureNested, twice);
    }

    [Fact]
    public void Verify_SignerKeyIsNotRsa_ReportsKeyUnsupported()
    {
        // Same issuer and serial as the RSA signer, but an EC key: the signature cannot be checked with it.
        var rsaCertificate = Certificate("rsa2048");
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(rsaCertificate.SubjectName, ec, HashAlgorithmName.SHA256);
        using var impostor = request.Create(rsaCertificate.IssuerName, X509SignatureGenerator.CreateForECDsa(ec),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), rsaCertificate.SerialNumberBytes.Span);

        var result = new ModuleVerifier(new ModuleKeyring([impostor])).Verify(Module("lp_sample.rsa2048-sha256.ko"));

        Assert.Equal(ErrorCodes.SignatureKeyUnsupported, result.Issue?.Code);
    }

    [Fact]
    public void Verify_Rsa1024Signer_ReportsKeyTooWeak()
    {
        using var rsa = RSA.Create(1024);
        var request = new CertificateRequest("CN=Weak module key", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var weak = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        byte[] signed = ModuleSigner.Sign(Module(UnsignedModule), weak, HashAlgorithmName.SHA256);

        var result = new ModuleVerifier(new ModuleKeyring([weak])).Verify(signed);

        Assert.Equal(ErrorCodes.SignatureKeyTooWeak, result.Issue?.Code);
    }

    [Fact]
    public void IsValid_EmptyResult_IsFalse() => Assert.False(new ModuleVerificationResult().IsValid);

    private static ModuleVerificationResult AssertIssue(string code, byte[] module)
    {
        var result = new ModuleVerifier(Keyring("rsa2048")).Verify(module);
        Assert.False(result.IsValid);
        Assert.Equal(code, result.Issue?.Code);
        return result;
    }

    /// <summary>rsa2048.pem's subject, serial and key, but expired a year ago.</summary>
    private static X509Certificate2 ExpiredCopyOfRsa2048()
    {
        var original = Certificate("rsa2048");
        using var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(KeyPath("rsa2048", "key")));
        var request = new CertificateRequest(original.SubjectName, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = DateTimeOffset.UtcNow;
        return request.Create(original.IssuerName, X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
            now.AddYears(-3), now.AddYears(-1), original.SerialNumberBytes.Span);
    }
}
