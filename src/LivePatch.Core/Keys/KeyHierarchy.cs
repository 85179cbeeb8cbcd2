using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Keys;

/// <summary>Root CA, manifest signing and module signing certificates with their private keys (keys/README.md).</summary>
public sealed class KeyHierarchy(X509Certificate2 root, X509Certificate2 manifestSigning, X509Certificate2 moduleSigning)
    : IDisposable
{
    private const UnixFileMode PrivateKeyMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode CertificateMode = PrivateKeyMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Offline root: decides which manifest signing certificates clients trust.</summary>
    public X509Certificate2 Root { get; } = root;

    /// <summary>Online, issued by <see cref="Root"/>: signs manifests and indexes on the repository server.</summary>
    public X509Certificate2 ManifestSigning { get; } = manifestSigning;

    /// <summary>Self-signed like the kernel's signing_key.x509: host kernels trust it for modules.</summary>
    public X509Certificate2 ModuleSigning { get; } = moduleSigning;

    /// <summary>Writes PEM certificates and PKCS#8 keys (mode 0600 from creation); refuses to overwrite anything.</summary>
    public IReadOnlyList<KeyFile> WriteTo(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var files = new (string Name, string Purpose, UnixFileMode Mode, Func<string> Pem)[]
        {
            ("root.pem", "root CA certificate: pin it in clients (trusted roots)", CertificateMode, Root.ExportCertificatePem),
            ("root.key", "root CA private key: keep OFFLINE, needed only to issue manifest signing certificates", PrivateKeyMode, () => KeyPem(Root)),
            ("manifest-signing.pem", "manifest signing certificate: for the repository server", CertificateMode, ManifestSigning.ExportCertificatePem),
            ("manifest-signing.key", "manifest signing private key: for the repository server only", PrivateKeyMode, () => KeyPem(ManifestSigning)),
            ("module-signing.pem", "module signing certificate: enroll in host kernels' keyring (MOK/secondary) and the client keyring", CertificateMode, ModuleSigning.ExportCertificatePem),
            ("module-signing.key", "module signing private key: signs livepatch modules (lpatch / sign-file)", PrivateKeyMode, () => KeyPem(ModuleSigning)),
        };

        // Check everything first so a refusal leaves no partial set behind; CreateNew below closes the race.
        var existing = files.Select(f => Path.Combine(directory, f.Name)).Where(Path.Exists).ToList();
        if (existing.Count > 0)
        {
            throw new IOException($"Refusing to overwrite existing key files: {string.Join(", ", existing)}.");
        }

        CreateDirectory(directory);
        var written = new List<KeyFile>();
        foreach (var (name, purpose, mode, pem) in files)
        {
            var path = Path.Combine(directory, name);
            WriteNew(path, pem(), mode);
            written.Add(new KeyFile(path, purpose));
        }

        return written;
    }

    public void Dispose()
    {
        Root.Dispose();
        ManifestSigning.Dispose();
        ModuleSigning.Dispose();
    }

    private static void CreateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>The mode is given to open(2) itself, so a key is never readable by others, even briefly.</summary>
    private static void WriteNew(string path, string content, UnixFileMode mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
        writer.Write('\n');
    }

    private static string KeyPem(X509Certificate2 certificate)
    {
        using AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey()
            ?? certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException($"{certificate.Subject} has no private key.");
        return key.ExportPkcs8PrivateKeyPem();
    }
}
