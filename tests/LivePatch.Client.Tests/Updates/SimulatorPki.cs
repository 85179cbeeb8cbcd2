using System.Security.Cryptography.X509Certificates;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Tests.Updates;

/// <summary>The certificates a repository simulator signs with: the shared TestPki (LivePatch.Testing),
/// a good chain through an intermediate and one signer per way to be wrong. A class fixture, so xUnit hands it to tests.</summary>
public sealed class SimulatorPki
{
    /// <summary>The time the simulator signs at and every host's FakeTimeProvider starts at.</summary>
    public static readonly DateTimeOffset Now = TestPki.Now;

    private static TestPki Pki => TestPki.Instance;

    /// <summary>The root hosts pin.</summary>
    public X509Certificate2 Root => Pki.Root;

    /// <summary>Signs through an intermediate, so the chain in the CMS is exercised.</summary>
    public SigningIdentity ManifestSigner => Pki.ManifestSigner;

    /// <summary>A second trusted key, for the threshold.</summary>
    public SigningIdentity SecondSigner => Pki.SecondSigner;

    public SigningIdentity WrongEkuSigner => Pki.WrongEkuSigner;

    public SigningIdentity ExpiredSigner => Pki.ExpiredSigner;

    public SigningIdentity UntrustedSigner => Pki.UntrustedSigner;

    /// <summary>The root as a host keeps it: public part only, PEM.</summary>
    public string RootPem() => Root.ExportCertificatePem();
}
