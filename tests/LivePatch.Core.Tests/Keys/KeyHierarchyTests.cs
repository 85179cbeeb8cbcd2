using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Trust;

namespace LivePatch.Core.Tests.Keys;

public sealed class KeyHierarchyTests(DevelopmentKeysFixture fixture) : IClassFixture<DevelopmentKeysFixture>, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lp-keys-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Out => Path.Combine(_dir.FullName, "dev");

    [Fact]
    public void WriteTo_NewDirectory_WritesSixFilesWithPurposes()
    {
        var files = fixture.Keys.WriteTo(Out);

        Assert.Equal(["root.pem", "root.key", "manifest-signing.pem", "manifest-signing.key", "module-signing.pem", "module-signing.key"],
            files.Select(f => Path.GetFileName(f.Path)));
        Assert.All(files, f => Assert.False(string.IsNullOrWhiteSpace(f.Purpose)));
    }

    [Fact]
    public void WriteTo_PrivateKeys_HaveMode0600()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var files = fixture.Keys.WriteTo(Out);

        foreach (var key in files.Where(f => f.Path.EndsWith(".key", StringComparison.Ordinal)))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key.Path));
        }
    }

    [Fact]
    public void WriteTo_ExistingFile_RefusesAndLeavesItUntouched()
    {
        Directory.CreateDirectory(Out);
        var existing = Path.Combine(Out, "manifest-signing.key");
        File.WriteAllText(existing, "keep me");

        var e = Assert.Throws<IOException>(() => fixture.Keys.WriteTo(Out));

        Assert.Contains("manifest-signing.key", e.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(existing));
        Assert.False(File.Exists(Path.Combine(Out, "root.pem")));
    }

    [Fact]
    public void WriteTo_Written_LoadsBackAsSigningIdentityAndRoot()
    {
        fixture.Keys.WriteTo(Out);

        var identity = SigningIdentity.LoadPem(Path.Combine(Out, "manifest-signing.pem"), Path.Combine(Out, "manifest-signing.key"));
        var roots = TrustPolicy.LoadRoots([Path.Combine(Out, "root.pem")]);
        using var module = X509Certificate2.CreateFromPemFile(Path.Combine(Out, "module-signing.pem"), Path.Combine(Out, "module-signing.key"));

        Assert.True(identity.Certificate.HasPrivateKey);
        Assert.Equal(fixture.Keys.Root.Thumbprint, Assert.Single(roots).Thumbprint);
        Assert.True(module.HasPrivateKey);
    }
}
