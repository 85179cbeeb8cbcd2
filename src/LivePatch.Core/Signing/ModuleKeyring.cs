using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace LivePatch.Core.Signing;

/// <summary>The certificates whose keys are trusted to sign modules, like the kernel's builtin keyring.</summary>
/// <remarks>
/// As in the kernel, a signature is checked directly against these keys: no chain, and no expiry check
/// (kernel/module/signing.c verifies against the keyring; x509 validity dates are not enforced).
/// </remarks>
public sealed class ModuleKeyring
{
    /// <summary>File names read from a keyring directory; other files there (READMEs, keys) are skipped.</summary>
    private static readonly string[] CertificateExtensions = [".pem", ".crt", ".cer", ".der"];

    /// <summary>A keyring file larger than this is not a certificate bundle.</summary>
    private const long MaxFileLength = 4 * 1024 * 1024;

    public ModuleKeyring(IEnumerable<X509Certificate2> certificates)
    {
        ArgumentNullException.ThrowIfNull(certificates);
        Certificates = [.. certificates];
    }

    public IReadOnlyList<X509Certificate2> Certificates { get; }

    /// <summary>Public key objects made from the certificates, each idle until a check takes it (per certificate instance and
    /// key type: <see cref="X509Certificate2"/>'s own equality is issuer and serial, which two keyring certificates may share).</summary>
    private readonly ConcurrentDictionary<(X509Certificate2, Type), ConcurrentBag<AsymmetricAlgorithm>> _idleKeys = new(SameInstance.Comparer);

    /// <summary>Runs <paramref name="use"/> with the public key of <paramref name="certificate"/> (null when it has none of that
    /// type), made by <paramref name="create"/> only when no idle one is left: a key object is used by one thread at a time
    /// and kept for the next check.</summary>
    /// <remarks>Making a key object from a certificate (decoding it, and an OpenSSL key) cost more than the RSA-4096
    /// verification itself: about 0.12 ms of 0.25 ms per module, paid by every module of a batch publish. The pool holds
    /// at most as many objects as checks ever ran at once.</remarks>
    internal TResult WithPublicKey<TKey, TResult>(X509Certificate2 certificate, Func<X509Certificate2, TKey?> create, Func<TKey?, TResult> use)
        where TKey : AsymmetricAlgorithm
    {
        var idle = _idleKeys.GetOrAdd((certificate, typeof(TKey)), _ => []);
        var key = idle.TryTake(out var taken) ? (TKey)taken : create(certificate);
        try
        {
            return use(key);
        }
        finally
        {
            if (key is not null)
            {
                idle.Add(key);
            }
        }
    }

    /// <summary>Loads PEM files (one or more CERTIFICATE blocks), DER files, or directories of them.</summary>
    /// <exception cref="LivePatchFormatException">A file holds no readable certificate (the message names it).</exception>
    /// <exception cref="IOException">A path does not exist or cannot be read.</exception>
    public static ModuleKeyring Load(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var certificates = new List<X509Certificate2>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = Directory.EnumerateFiles(path)
                    .Where(f => CertificateExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal);
                foreach (string file in files)
                {
                    certificates.AddRange(LoadFile(file));
                }
            }
            else if (File.Exists(path))
            {
                certificates.AddRange(LoadFile(path));
            }
            else
            {
                throw new FileNotFoundException($"module keyring: '{path}' is neither a file nor a directory", path);
            }
        }
        return new ModuleKeyring(certificates);
    }

    /// <summary>The certificate the signature names: issuer and serial, or subject key identifier.</summary>
    public X509Certificate2? FindSigner(ModuleSignatureInfo signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return Certificates.FirstOrDefault(c => Matches(c, signature));
    }

    // The kernel looks keys up by the same raw bytes: asymmetric_key_generate_id(serial, issuer)
    // or the SKID (crypto/asymmetric_keys/pkcs7_trust.c, x509_cert_parser.c).
    private static bool Matches(X509Certificate2 certificate, ModuleSignatureInfo signature)
    {
        if (signature.SubjectKeyIdentifier is { } skid)
        {
            var extension = certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault();
            return extension is not null && extension.SubjectKeyIdentifierBytes.Span.SequenceEqual(skid);
        }
        return signature.Issuer is not null && signature.SerialNumber is not null
            && certificate.IssuerName.RawData.AsSpan().SequenceEqual(signature.Issuer.RawData)
            && certificate.SerialNumberBytes.Span.SequenceEqual(signature.SerialNumber);
    }

    private static List<X509Certificate2> LoadFile(string path)
    {
        var info = new FileInfo(path);
        LivePatchFormatException.ThrowUnless(info.Length <= MaxFileLength, ErrorCodes.KeyringFileInvalid,
            $"module keyring: '{path}' is {info.Length} bytes, more than a certificate file can be ({MaxFileLength})");
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return LooksLikePem(bytes) ? LoadPem(path, bytes) : [X509CertificateLoader.LoadCertificate(bytes)];
        }
        catch (CryptographicException e)
        {
            throw new LivePatchFormatException(ErrorCodes.KeyringFileInvalid,
                $"module keyring: '{path}' is not a PEM or DER X.509 certificate: {e.Message}");
        }
    }

    private static bool LooksLikePem(byte[] bytes) => bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0;

    private static List<X509Certificate2> LoadPem(string path, byte[] bytes)
    {
        var text = Encoding.ASCII.GetString(bytes).AsSpan();
        var certificates = new List<X509Certificate2>();
        while (PemEncoding.TryFind(text, out var fields))
        {
            if (text[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                byte[] der = Convert.FromBase64String(text[fields.Base64Data].ToString());
                certificates.Add(X509CertificateLoader.LoadCertificate(der));
            }
            text = text[fields.Location.End..];
        }
        LivePatchFormatException.ThrowUnless(certificates.Count > 0, ErrorCodes.KeyringFileInvalid,
            $"module keyring: '{path}' has no -----BEGIN CERTIFICATE----- block");
        return certificates;
    }

    /// <summary>Equal when the same certificate object and the same key type.</summary>
    private sealed class SameInstance : IEqualityComparer<(X509Certificate2 Certificate, Type Key)>
    {
        public static readonly SameInstance Comparer = new();

        public bool Equals((X509Certificate2 Certificate, Type Key) x, (X509Certificate2 Certificate, Type Key) y) =>
            ReferenceEquals(x.Certificate, y.Certificate) && x.Key == y.Key;

        public int GetHashCode((X509Certificate2 Certificate, Type Key) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Certificate), obj.Key);
    }
}
