using System.Security.Cryptography.X509Certificates;
using LivePatch.Core;
using LivePatch.Core.Keys;
using LivePatch.Core.Manifests;
using LivePatch.Core.Signing;
using LivePatch.Core.Trust;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Configuration;

/// <summary>The server's key material, loaded (or, in development, generated) once at start.</summary>
public sealed class RepositoryKeys : IDisposable
{
    private RepositoryKeys(SigningIdentity signer, SignedContentSigner documentSigner, IReadOnlyList<X509Certificate2> roots,
        ModuleKeyring keyring, bool generated, string? folder)
    {
        Signer = signer;
        DocumentSigner = documentSigner;
        Roots = roots;
        ModuleKeyring = keyring;
        IsDevelopmentSet = generated;
        DevelopmentFolder = folder;
    }

    /// <summary>The certificate and key that sign manifests and the index.</summary>
    public SigningIdentity Signer { get; }

    /// <summary>Signs manifests, coverage bins and the index as <see cref="Signer"/>, prepared once: every document signed goes through it.</summary>
    public SignedContentSigner DocumentSigner { get; }

    /// <summary>Roots the server's own signatures are checked against at start (may be empty in production).</summary>
    public IReadOnlyList<X509Certificate2> Roots { get; }

    /// <summary>Certificates whose module signatures a publish must carry.</summary>
    public ModuleKeyring ModuleKeyring { get; }

    /// <summary>True when the keys were generated in the data folder rather than configured.</summary>
    public bool IsDevelopmentSet { get; }

    public string? DevelopmentFolder { get; }

    /// <summary>Loads configured keys, or makes/loads the development set under <c>DataDirectory/keys</c> when <paramref name="mayGenerate"/>.</summary>
    /// <remarks>A key file that cannot be read or parsed fails here with the setting named (<see cref="OptionsValidationException"/>).</remarks>
    public static RepositoryKeys Load(RepositoryOptions options, TimeProvider time, ILogger logger, bool mayGenerate = true)
    {
        var configured = !string.IsNullOrEmpty(options.Signing.Certificate);
        var folder = Path.Combine(Path.GetFullPath(options.DataDirectory), "keys");
        if (!configured)
        {
            if (!mayGenerate)
            {
                throw Refused("Refusing to generate development keys here (Production): set LivePatch:Signing:Certificate and :Key.");
            }

            EnsureDevelopmentSet(folder, time, logger);
        }

        var signer = configured
            ? Read("LivePatch:Signing:Certificate, :Key and :Chain", () => SigningIdentity.LoadPem(options.Signing.Certificate!, options.Signing.Key!, options.Signing.Chain))
            : Read(folder, () => SigningIdentity.LoadPem(Path.Combine(folder, "manifest-signing.pem"), Path.Combine(folder, "manifest-signing.key")));
        var roots = configured
            ? Read("LivePatch:Signing:Roots", () => TrustPolicy.LoadRoots(options.Signing.Roots))
            : Read(folder, () => TrustPolicy.LoadRoots([Path.Combine(folder, "root.pem")]));
        var keyring = options.ModuleKeyring.Count > 0
            ? Read("LivePatch:ModuleKeyring", () => ModuleKeyring.Load(options.ModuleKeyring))
            : Read(folder, () => ModuleKeyring.Load([Path.Combine(folder, "module-signing.pem")]));
        var documentSigner = Read(configured ? "LivePatch:Signing:Certificate and :Key" : folder, () => new SignedContentSigner([signer]));
        var keys = new RepositoryKeys(signer, documentSigner, roots, keyring, !configured, configured ? null : folder);
        try
        {
            keys.CheckSignerAgainstRoots(time);
            return keys;
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    public void Dispose() => DocumentSigner.Dispose();

    /// <summary>Reading key material is I/O and parsing: a failure is the setting's, said in one sentence.</summary>
    private static T Read<T>(string setting, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException
            or ArgumentException or FormatException or InvalidOperationException or LivePatchFormatException)
        {
            throw Refused($"{setting}: cannot read the keys or certificates: {e.Message.ReplaceLineEndings(" ").Trim()} " +
                "Point the setting at readable PEM files.");
        }
    }

    private static OptionsValidationException Refused(string message) =>
        new(RepositoryOptions.Section, typeof(RepositoryOptions), [message]);

    private static void EnsureDevelopmentSet(string folder, TimeProvider time, ILogger logger)
    {
        if (File.Exists(Path.Combine(folder, "manifest-signing.pem")))
        {
            return;
        }

        using var generated = DevelopmentKeys.Generate(time);
        generated.WriteTo(folder);
        logger.LogWarning("No signing keys configured: generated a DEVELOPMENT key hierarchy in {Folder}. " +
            "Clients must pin {Root}. Do not use it in production.", folder, Path.Combine(folder, "root.pem"));
    }

    /// <summary>A wrong key pair, a missing EKU or an expired certificate fails at start, not on the first publish.</summary>
    private void CheckSignerAgainstRoots(TimeProvider time)
    {
        if (Roots.Count == 0)
        {
            return;
        }

        var probe = DocumentSigner.Sign("{}"u8, LivePatchOids.ManifestContentType, time.GetUtcNow());
        var result = new SignedContentVerifier(new TrustPolicy { Roots = Roots }, time).Verify(probe, LivePatchOids.ManifestContentType);
        if (!result.IsValid)
        {
            throw Refused($"LivePatch:Signing: the manifest signing certificate does not verify against LivePatch:Signing:Roots: {result.Issue}");
        }
    }
}
