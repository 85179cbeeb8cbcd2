using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Manifests;
using LivePatch.Core.Tests.Manifests;
using LivePatch.Core.Trust;
using Microsoft.Extensions.Time.Testing;

namespace LivePatch.Core.Tests.Keys;

public sealed class DevelopmentKeysTests(DevelopmentKeysFixture fixture) : IClassFixture<DevelopmentKeysFixture>
{
    [Fact]
    public void Generate_ManifestSignedWithManifestSigning_VerifiesAgainstRoot()
    {
        var keys = fixture.Keys;
        var clock = new FakeTimeProvider(DevelopmentKeysFixture.Now.AddDays(1));
        var manifest = SampleManifests.Manifest() with { Issued = clock.GetUtcNow(), Expires = clock.GetUtcNow().AddDays(7) };
        var signed = SignedContent.Sign(ManifestSerializer.Serialize(manifest), LivePatchOids.ManifestContentType,
            [new SigningIdentity { Certificate = keys.ManifestSigning }], clock.GetUtcNow());
        using var publicRoot = X509Certificate2.CreateFromPem(keys.Root.ExportCertificatePem());

        var result = new ManifestVerifier(new TrustPolicy { Roots = [publicRoot] }, clock).Verify(signed);

        Assert.True(result.IsValid, result.Issue?.ToString());
    }

    [Fact]
    public void Generate_Root_IsCaWithCertSignAndP384()
    {
        var root = fixture.Keys.Root;
        var constraints = root.Extensions.OfType<X509BasicConstraintsExtension>().Single();

        Assert.True(constraints.CertificateAuthority && constraints.Critical);
        Assert.True(root.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.Equal(384, root.GetECDsaPublicKey()!.KeySize);
        Assert.Equal(root.SubjectName.Name, root.IssuerName.Name);
    }

    [Fact]
    public void Generate_ManifestSigning_HasProjectEkuAndIsNotCa()
    {
        var cert = fixture.Keys.ManifestSigning;

        Assert.Contains(cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>(),
            o => o.Value == LivePatchOids.ManifestSigningEku);
        Assert.False(cert.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(fixture.Keys.Root.SubjectName.Name, cert.IssuerName.Name);
        Assert.Single(cert.Extensions.OfType<X509AuthorityKeyIdentifierExtension>());
    }

    [Fact]
    public void Generate_ModuleSigning_IsSelfSignedRsa4096CodeSigning()
    {
        var cert = fixture.Keys.ModuleSigning;

        Assert.Equal(4096, cert.GetRSAPublicKey()!.KeySize);
        Assert.Equal(cert.SubjectName.Name, cert.IssuerName.Name);
        Assert.Contains(cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>(),
            o => o.Value == LivePatchOids.CodeSigningEku);
        Assert.True(cert.HasPrivateKey);
    }
}
