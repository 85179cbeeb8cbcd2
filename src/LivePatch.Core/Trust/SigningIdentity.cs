using System.Security.Cryptography.X509Certificates;

namespace LivePatch.Core.Trust;

/// <summary>A signing certificate with its private key, plus the intermediates between it and a root.</summary>
public sealed record SigningIdentity
{
    /// <summary>The signer's certificate; it must carry its private key (<see cref="X509Certificate2.HasPrivateKey"/>).</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>Certificates between <see cref="Certificate"/> and the root, leaf side first; never the root.</summary>
    public IReadOnlyList<X509Certificate2> Intermediates { get; init; } = [];

    /// <summary>Loads a certificate and its PKCS#8 key from PEM files, plus optional intermediate PEM files.</summary>
    public static SigningIdentity LoadPem(string certificatePath, string keyPath, IEnumerable<string>? intermediatePaths = null)
    {
        var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        var intermediates = new List<X509Certificate2>();
        foreach (var path in intermediatePaths ?? [])
        {
            var collection = new X509Certificate2Collection();
            collection.ImportFromPemFile(path);
            intermediates.AddRange(collection);
        }

        return new SigningIdentity { Certificate = certificate, Intermediates = intermediates };
    }
}
