using LivePatch.Core.Signing;
using static LivePatch.Core.Tests.Signing.SigningFixtures;
using static LivePatch.Testing.FixtureFiles;

namespace LivePatch.Core.Tests.Signing;

public sealed class ModuleKeyringTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lp-keyring-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_PemFile_ReadsTheCertificate()
    {
        var keyring = ModuleKeyring.Load([KeyPath("rsa2048", "pem")]);

        Assert.Equal(Certificate("rsa2048").Thumbprint, Assert.Single(keyring.Certificates).Thumbprint);
    }

    [Fact]
    public void Load_PemWithSeveralBlocks_ReadsAll()
    {
        string bundle = Path.Combine(_directory, "bundle.pem");
        File.WriteAllText(bundle, File.ReadAllText(KeyPath("rsa2048", "pem")) + "\n# comment\n" + File.ReadAllText(KeyPath("ecdsa-p384", "pem")));

        var keyring = ModuleKeyring.Load([bundle]);

        Assert.Equal(2, keyring.Certificates.Count);
    }

    [Fact]
    public void Load_DerFile_ReadsTheCertificate()
    {
        string der = Path.Combine(_directory, "key.der");
        File.WriteAllBytes(der, Certificate("rsa4096").RawData);

        var keyring = ModuleKeyring.Load([der]);

        Assert.Equal(Certificate("rsa4096").Thumbprint, Assert.Single(keyring.Certificates).Thumbprint);
    }

    [Fact]
    public void Load_Directory_ReadsCertificateFilesOnly()
    {
        File.Copy(KeyPath("rsa2048", "pem"), Path.Combine(_directory, "a.pem"));
        File.WriteAllBytes(Path.Combine(_directory, "b.der"), Certificate("ecdsa-p384").RawData);
        File.WriteAllText(Path.Combine(_directory, "README"), "not a certificate");

        var keyring = ModuleKeyring.Load([_directory]);

        Assert.Equal(2, keyring.Certificates.Count);
    }

    [Fact]
    public void Load_PemWithoutCertificate_ThrowsNamingTheFile()
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ModuleKeyring.Load([KeyPath("rsa2048", "key")]));

        Assert.Equal(ErrorCodes.KeyringFileInvalid, e.Code);
        Assert.Contains("rsa2048.key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_GarbageFile_ThrowsNamingTheFile()
    {
        string garbage = Path.Combine(_directory, "garbage.der");
        File.WriteAllBytes(garbage, [0x30, 0x03, 0x02, 0x01]);

        var e = Assert.Throws<LivePatchFormatException>(() => ModuleKeyring.Load([garbage]));

        Assert.Equal(ErrorCodes.KeyringFileInvalid, e.Code);
        Assert.Contains("garbage.der", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingPath_ThrowsIOException()
    {
        string missing = Path.Combine(_directory, "missing.pem");

        var e = Assert.ThrowsAny<IOException>(() => ModuleKeyring.Load([missing]));

        Assert.Contains("missing.pem", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lp_sample.rsa2048-sha256.ko")]
    [InlineData("lp_sample.rsa2048-sha256-skid.ko")]
    public void FindSigner_IssuerSerialOrSkid_FindsTheCertificate(string module)
    {
        var keyring = Keyring("rsa4096", "rsa2048");

        var signer = keyring.FindSigner(ModuleSignatureReader.ReadOrNull(Module(module))!);

        Assert.Equal(Certificate("rsa2048").Thumbprint, signer?.Thumbprint);
    }

    [Fact]
    public void FindSigner_UnknownKey_ReturnsNull()
    {
        var signature = ModuleSignatureReader.ReadOrNull(Module("lp_sample.other-sha256.ko"))!;

        Assert.Null(Keyring("rsa2048", "rsa4096", "ecdsa-p384").FindSigner(signature));
    }
}
