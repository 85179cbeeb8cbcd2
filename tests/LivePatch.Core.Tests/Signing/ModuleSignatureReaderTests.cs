using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Signing;
using static LivePatch.Core.Tests.Signing.SigningFixtures;
using static LivePatch.Testing.FixtureFiles;

namespace LivePatch.Core.Tests.Signing;

public sealed class ModuleSignatureReaderTests
{
    [Theory]
    [InlineData("lp_sample.rsa2048-sha256.ko")]
    [InlineData("lp_sample.rsa4096-sha512.ko")]
    [InlineData("lp_sample.ecdsa-p384-sha384.ko")]
    [InlineData("lp_sample.rsa2048-sha1.ko")]
    [InlineData("lp_sample.other-sha256.ko")]
    [InlineData("plain.rsa2048-sha256.ko")]
    public void ReadOrNull_SignFileModule_MatchesModinfo(string name)
    {
        var modinfo = Modinfo(name);

        var signature = ModuleSignatureReader.ReadOrNull(Module(name))!;

        Assert.Equal(modinfo["signer"], signature.SignerName);
        Assert.Equal(modinfo["sig_key"], signature.KeyId);
        Assert.Equal(modinfo["sig_hashalgo"], signature.HashAlgorithmLabel);
        Assert.False(signature.HasSignedAttributes);
    }

    [Fact]
    public void ReadOrNull_SignFileModule_BodyIsTheUnsignedModule()
    {
        byte[] signed = Module("lp_sample.rsa2048-sha256.ko");

        var signature = ModuleSignatureReader.ReadOrNull(signed)!;

        Assert.Equal(Module(UnsignedModule), signed[..signature.BodyLength]);
        Assert.Equal("RSA", signature.SignatureAlgorithm);
        Assert.Equal(HashAlgorithmName.SHA256, signature.HashAlgorithm);
        Assert.Equal(Certificate("rsa2048").SerialNumberBytes.ToArray(), signature.SerialNumber);
        Assert.Equal(Certificate("rsa2048").IssuerName.Name, signature.Issuer!.Name);
    }

    [Fact]
    public void ReadOrNull_SkidModule_KeyIdIsCertificateSkid()
    {
        // kmod 30's modinfo cannot read a version 3 SignerInfo and prints no signature lines for it.
        Assert.False(Modinfo("lp_sample.rsa2048-sha256-skid.ko").ContainsKey("sig_key"));
        var skid = Certificate("rsa2048").Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single();

        var signature = ModuleSignatureReader.ReadOrNull(Module("lp_sample.rsa2048-sha256-skid.ko"))!;

        Assert.Equal(skid.SubjectKeyIdentifierBytes.ToArray(), signature.SubjectKeyIdentifier);
        Assert.Equal(string.Join(':', skid.SubjectKeyIdentifier!.Chunk(2).Select(c => new string(c))), signature.KeyId);
        Assert.Null(signature.Issuer);
        Assert.Null(signature.SignerName);
    }

    [Fact]
    public void ReadOrNull_EcdsaModule_ReportsEcdsa()
    {
        var signature = ModuleSignatureReader.ReadOrNull(Module("lp_sample.ecdsa-p384-sha384.ko"))!;

        Assert.Equal("ECDSA", signature.SignatureAlgorithm);
        Assert.Equal(HashAlgorithmName.SHA384, signature.HashAlgorithm);
    }

    [Fact]
    public void ReadOrNull_UnsignedModule_ReturnsNull()
    {
        Assert.False(ModuleSignatureReader.IsSigned(Module(UnsignedModule)));
        Assert.Null(ModuleSignatureReader.ReadOrNull(Module(UnsignedModule)));
    }

    [Fact]
    public void ReadOrNull_IdTypeNotPkcs7_ThrowsIdTypeUnsupported()
    {
        byte[] module = Module("lp_sample.rsa2048-sha256.ko");
        module[StructOffset(module) + 2] = 1; // PKEY_ID_X509

        AssertCode(ErrorCodes.SignatureIdTypeUnsupported, module);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    public void ReadOrNull_ReservedFieldSet_ThrowsTrailerInvalid(int field)
    {
        byte[] module = Module("lp_sample.rsa2048-sha256.ko");
        module[StructOffset(module) + field] = 0x01;

        AssertCode(ErrorCodes.SignatureTrailerInvalid, module);
    }

    [Theory]
    [InlineData(0x7FFF_FFFFu, "signature-trailer-invalid")]
    [InlineData(60_000u, "signature-truncated")]
    [InlineData(0u, "signature-cms-malformed")]
    [InlineData(461u, "signature-cms-malformed")]
    [InlineData(463u, "signature-cms-malformed")]
    public void ReadOrNull_InconsistentSigLen_Throws(uint sigLen, string code)
    {
        byte[] module = Module("lp_sample.rsa2048-sha256.ko");
        BinaryPrimitives.WriteUInt32BigEndian(module.AsSpan(StructOffset(module) + 8), sigLen);

        AssertCode(code, module);
    }

    [Theory]
    [InlineData(ModuleSignatureTrailer.Length - 1)]
    [InlineData(ModuleSignatureTrailer.Length)]
    [InlineData(ModuleSignatureTrailer.Length + 100)]
    [InlineData(ModuleSignatureTrailer.Length + 462)]
    public void ReadOrNull_OnlyTheTailRemains_ThrowsTruncated(int keep)
    {
        byte[] module = Module("lp_sample.rsa2048-sha256.ko");

        AssertCode(ErrorCodes.SignatureTruncated, module[^keep..]);
    }

    [Fact]
    public void ReadOrNull_TwoSigners_ThrowsSignerCount()
    {
        byte[] body = Module(UnsignedModule);
        var cms = new SignedCms(new ContentInfo(body), detached: true);
        foreach (string key in new[] { "rsa2048", "rsa4096" })
        {
            cms.ComputeSignature(new CmsSigner(SigningCertificate(key)) { IncludeOption = X509IncludeOption.None });
        }

        AssertCode(ErrorCodes.SignatureSignerCount, AppendCms(body, cms.Encode()));
    }

    [Fact]
    public void ReadOrNull_CmsWithCertificates_ThrowsCmsMalformed()
    {
        byte[] body = Module(UnsignedModule);
        var cms = new SignedCms(new ContentInfo(body), detached: true);
        cms.ComputeSignature(new CmsSigner(SigningCertificate("rsa2048")));

        AssertCode(ErrorCodes.SignatureCmsMalformed, AppendCms(body, cms.Encode()));
    }

    [Fact]
    public void ReadOrNull_SignedAttributes_ParsesAndFlagsThem()
    {
        byte[] module = SignedCmsWithAttributes(Module(UnsignedModule));

        var signature = ModuleSignatureReader.ReadOrNull(module)!;

        Assert.True(signature.HasSignedAttributes);
    }

    [Theory]
    [InlineData(UniversalTagNumber.UTF8String)]
    [InlineData(UniversalTagNumber.PrintableString)]
    [InlineData(UniversalTagNumber.T61String)]
    [InlineData(UniversalTagNumber.IA5String)]
    [InlineData(UniversalTagNumber.BMPString)]
    public void ReadOrNull_IssuerCnInAnyStringType_ReadsSignerName(UniversalTagNumber stringType)
    {
        var signature = ReadWithIssuerCn(w => w.WriteCharacterString(stringType, "Module key"));

        Assert.Equal("Module key", signature.SignerName);
        Assert.Equal("01", signature.KeyId);
    }

    [Fact]
    public void ReadOrNull_IssuerCnInUniversalString_LeavesSignerNameUnknown()
    {
        var signature = ReadWithIssuerCn(w => w.WriteEncodedValue([0x1C, 0x04, 0x00, 0x00, 0x00, 0x41]));

        Assert.Null(signature.SignerName);
    }

    /// <summary>A module whose CMS names an issuer with only a CN, written by <paramref name="writeCn"/>.</summary>
    private static ModuleSignatureInfo ReadWithIssuerCn(Action<AsnWriter> writeCn)
    {
        var name = new AsnWriter(AsnEncodingRules.DER);
        using (name.PushSequence())
        using (name.PushSetOf())
        using (name.PushSequence())
        {
            name.WriteObjectIdentifier("2.5.4.3");
            writeCn(name);
        }
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Module key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.Create(new X500DistinguishedName(name.Encode()),
            X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1), DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1), [0x01]);
        byte[] cms = ModuleCmsWriter.Write(new ModuleCmsWriter.SignerId(certificate, null),
            "2.16.840.1.101.3.4.2.1", "1.2.840.113549.1.1.1", true, new byte[256]);

        return ModuleSignatureReader.ReadOrNull(AppendCms([0x7F], cms))!;
    }

    /// <summary>A detached SignedCms with a signingTime attribute, appended in the kernel layout.</summary>
    internal static byte[] SignedCmsWithAttributes(byte[] body)
    {
        var cms = new SignedCms(new ContentInfo(body), detached: true);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, SigningCertificate("rsa2048"))
        {
            IncludeOption = X509IncludeOption.None,
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"),
        };
        signer.SignedAttributes.Add(new Pkcs9SigningTime(DateTime.UtcNow));
        cms.ComputeSignature(signer);
        return AppendCms(body, cms.Encode());
    }

    private static void AssertCode(string code, byte[] module)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ModuleSignatureReader.ReadOrNull(module));
        Assert.Equal(code, e.Code);
    }
}
