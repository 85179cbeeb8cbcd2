using LivePatch.Client.Updates;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;
using Microsoft.Extensions.Time.Testing;

namespace LivePatch.Client.Tests.Updates;

/// <summary>Steps 3 to 6 as a pure function: manifests signed in memory with the simulator's PKI, no repository, no disk.</summary>
public sealed class ManifestAcceptanceTests(SimulatorPki pki) : IClassFixture<SimulatorPki>
{
    private const string Repository = RepositorySimulator.DefaultRepositoryId;
    private const string Channel = "stable";
    private const string Server = "http://mirror.example/";

    private static readonly string VersionKey = ClientState.VersionKey(Repository, Channel, ModuleFixtures.BuildId);

    private readonly FakeTimeProvider _clock = new(SimulatorPki.Now);

    [Fact]
    public void Accept_ValidManifest_ReturnsItWithTheServingRepository()
    {
        var fetched = Fetched(Manifest(version: 7));

        var (accepted, failure) = Acceptance().Accept(fetched, Request(), new ClientState());

        Assert.Null(failure);
        Assert.NotNull(accepted);
        Assert.Equal(7UL, accepted.Manifest.Version);
        Assert.Equal(Server, accepted.Repository);
        Assert.Equal(fetched.Signed, accepted.Signed);
    }

    [Fact]
    public void Accept_OtherBuildId_RefusedWrongBuildId()
    {
        var fetched = Fetched(Manifest() with { BuildId = "00112233445566778899aabbccddeeff00112233" });

        AssertRefused(Acceptance().Accept(fetched, Request(), new ClientState()), ErrorCodes.ManifestWrongBuildId);
    }

    [Fact]
    public void Accept_OtherChannel_RefusedWrongChannel()
    {
        var fetched = Fetched(Manifest() with { Channel = "beta" });

        AssertRefused(Acceptance().Accept(fetched, Request(), new ClientState()), ErrorCodes.ManifestWrongChannel);
    }

    [Fact]
    public void Accept_OtherRepositoryThanConfigured_RefusedWrongRepository()
    {
        var fetched = Fetched(Manifest() with { Repository = "lp-elsewhere" });

        AssertRefused(Acceptance().Accept(fetched, Request(), new ClientState()), ErrorCodes.ManifestWrongRepository);
    }

    [Fact]
    public void Accept_VersionBelowTheOneAcceptedBefore_RefusedRollback()
    {
        var state = new ClientState { Versions = new() { [VersionKey] = 5 } };

        AssertRefused(Acceptance().Accept(Fetched(Manifest(version: 4)), Request(), state), ClientErrorCodes.ManifestRollback);
    }

    [Fact]
    public void Accept_VersionEqualToTheOneAcceptedBefore_Accepted()
    {
        var state = new ClientState { Versions = new() { [VersionKey] = 5 } };

        var (accepted, failure) = Acceptance().Accept(Fetched(Manifest(version: 5)), Request(), state);

        Assert.Null(failure);
        Assert.Equal(5UL, accepted!.Manifest.Version);
    }

    [Fact]
    public void Accept_ExpiredManifest_RefusedExpired()
    {
        var fetched = Fetched(Manifest() with { Issued = SimulatorPki.Now.AddDays(-10), Expires = SimulatorPki.Now.AddDays(-1) });

        AssertRefused(Acceptance().Accept(fetched, Request(), new ClientState()), ErrorCodes.ManifestExpired);
    }

    [Fact]
    public void Accept_ManifestExpiresAfterClockMoves_RefusedExpired()
    {
        var fetched = Fetched(Manifest());
        Assert.Null(Acceptance().Accept(fetched, Request(), new ClientState()).Failure);

        _clock.Advance(TimeSpan.FromDays(8)); // the manifest expires after 7

        AssertRefused(Acceptance().Accept(fetched, Request(), new ClientState()), ErrorCodes.ManifestExpired);
    }

    [Fact]
    public void Accept_UntrustedSigner_RefusedWithSignatureCode()
    {
        var fetched = Fetched(Manifest(), pki.UntrustedSigner);

        var (accepted, failure) = Acceptance().Accept(fetched, Request(), new ClientState());

        Assert.Null(accepted);
        Assert.Equal(ErrorCategory.Refused, failure!.Category);
    }

    [Fact]
    public void Accept_PinnedRepositoryAndRequestNamesNone_OtherRepositoryRefused()
    {
        var state = new ClientState { RepositoryId = "lp-pinned" };

        AssertRefused(Acceptance().Accept(Fetched(Manifest()), Request(repositoryId: null), state), ErrorCodes.ManifestWrongRepository);
    }

    [Fact]
    public void Accept_PinnedRepositoryAndRequestNamesNone_PinnedRepositoryAccepted()
    {
        var state = new ClientState { RepositoryId = Repository };

        var (accepted, failure) = Acceptance().Accept(Fetched(Manifest()), Request(repositoryId: null), state);

        Assert.Null(failure);
        Assert.Equal(Repository, accepted!.Manifest.Repository);
    }

    [Fact]
    public void Accept_NothingPinnedAndRequestNamesNone_FirstRepositoryAccepted()
    {
        var (accepted, failure) = Acceptance().Accept(Fetched(Manifest() with { Repository = "lp-first" }), Request(repositoryId: null), new ClientState());

        Assert.Null(failure);
        Assert.Equal("lp-first", accepted!.Manifest.Repository);
    }

    private static void AssertRefused((VerifiedManifest? Manifest, UpdateFailure? Failure) outcome, ErrorCode expected)
    {
        Assert.Null(outcome.Manifest);
        Assert.NotNull(outcome.Failure);
        Assert.Equal(expected.Code, outcome.Failure.Code);
        Assert.Equal(expected.Category, outcome.Failure.Category);
    }

    private ManifestAcceptance Acceptance() => new(new TrustPolicy { Roots = [pki.Root] }, _clock);

    private static ManifestRequest Request(string? repositoryId = Repository) => new(repositoryId, Channel, ModuleFixtures.BuildId);

    private static Manifest Manifest(ulong version = 1) => new()
    {
        Schema = Core.Manifests.Manifest.CurrentSchema,
        Repository = Repository,
        Channel = Channel,
        BuildId = ModuleFixtures.BuildId,
        KernelRelease = ModuleFixtures.KernelRelease,
        Version = version,
        Issued = SimulatorPki.Now.AddHours(-1),
        Expires = SimulatorPki.Now.AddDays(7),
        Patches = [],
    };

    private FetchedDocument Fetched(Manifest manifest, SigningIdentity? signer = null) =>
        new(SignedContent.Sign(ManifestSerializer.Serialize(manifest), LivePatchOids.ManifestContentType, [signer ?? pki.ManifestSigner], SimulatorPki.Now),
            ETag: null, NotModified: false, Server);
}
