using LivePatch.Client.Host;
using LivePatch.Client.Updates;
using LivePatch.Core.Kernel;
using LivePatch.Core.Manifests;

namespace LivePatch.Client.Tests.Updates;

/// <summary>Step 7 as a pure function: which patch a manifest, the host's policy and its state make the target.</summary>
public sealed class PatchSelectorTests
{
    private static readonly DateTimeOffset Now = SimulatorPki.Now;
    private static readonly HostKernel Kernel = new(BuildId.Parse(ModuleFixtures.BuildId), ModuleFixtures.KernelRelease);

    // Blob hashes as a manifest names them, and module digests as a host learns them at step 9.
    private static readonly string Blob1 = new('1', 64);
    private static readonly string Blob2 = new('2', 64);
    private static readonly string Blob3 = new('3', 64);
    private static readonly string OtherBlob = new('9', 64);
    private static readonly string Digest = new('d', 64);

    [Fact]
    public void Choose_SeveralLevels_HighestIsTargetAndNothingHeldBack()
    {
        var plan = Choose([Patch(1, Blob1), Patch(3, Blob3), Patch(2, Blob2)]);

        Assert.Equal(3, plan.Target!.Level);
        Assert.Empty(plan.HeldBack);
        Assert.False(plan.AlreadyApplied);
        Assert.Null(plan.Held);
    }

    [Fact]
    public void Choose_HighestRevokedByBlobHash_NextLevelIsTarget()
    {
        var plan = Choose([Patch(1, Blob1), Patch(2, Blob2)], revoked: [Revoked(2, Blob2)]);

        Assert.Equal(1, plan.Target!.Level);
    }

    [Fact]
    public void Choose_HighestIsModuleRevokedUnderAnotherBlob_NextLevelIsTarget()
    {
        // The revoked entry names OtherBlob; this host verified both blobs and found the same module in them.
        var state = new ClientState { ModuleDigests = new() { [OtherBlob] = Digest, [Blob2] = Digest } };

        var plan = Choose([Patch(1, Blob1), Patch(2, Blob2)], revoked: [Revoked(2, OtherBlob)], state: state);

        Assert.Equal(1, plan.Target!.Level);
    }

    [Fact]
    public void Choose_RevokedBlobWithUnknownModule_OtherBlobStillTarget()
    {
        // Nothing ties Blob2 to the revoked module: it is not revoked.
        var state = new ClientState { ModuleDigests = new() { [OtherBlob] = Digest } };

        var plan = Choose([Patch(1, Blob1), Patch(2, Blob2)], revoked: [Revoked(2, OtherBlob)], state: state);

        Assert.Equal(2, plan.Target!.Level);
    }

    [Fact]
    public void Choose_PatchDelayNotPassed_NewerLevelHeldBack()
    {
        var options = new ClientOptions { PatchDelay = TimeSpan.FromDays(1) };

        var plan = Choose([Patch(1, Blob1, Now.AddDays(-3)), Patch(2, Blob2, Now.AddHours(-1))], options: options);

        Assert.Equal(1, plan.Target!.Level);
        Assert.Equal(2, Assert.Single(plan.HeldBack).Level);
    }

    [Fact]
    public void Choose_PinLevel_NewerLevelHeldBack()
    {
        var plan = Choose([Patch(1, Blob1), Patch(2, Blob2)], options: new ClientOptions { PinLevel = 1 });

        Assert.Equal(1, plan.Target!.Level);
        Assert.Equal(2, Assert.Single(plan.HeldBack).Level);
    }

    [Fact]
    public void Choose_PinCutoff_LevelPublishedAfterItHeldBack()
    {
        var options = new ClientOptions { PinCutoff = Now.AddDays(-5) };

        var plan = Choose([Patch(1, Blob1, Now.AddDays(-10)), Patch(2, Blob2, Now.AddDays(-2))], options: options);

        Assert.Equal(1, plan.Target!.Level);
        Assert.Equal(2, Assert.Single(plan.HeldBack).Level);
    }

    [Fact]
    public void Choose_NoLevelAllowed_NoTargetAndAllHeldBack()
    {
        var options = new ClientOptions { PatchDelay = TimeSpan.FromDays(30) };

        var plan = Choose([Patch(1, Blob1), Patch(2, Blob2)], options: options);

        Assert.Null(plan.Target);
        Assert.Equal([1, 2], plan.HeldBack.Select(p => p.Level).Order());
    }

    [Fact]
    public void Choose_BestPatchNameHeld_NoTargetAndHeldSet()
    {
        var state = new ClientState { Holds = ["lp_sample"] };

        var plan = Choose([Patch(1, Blob1), Patch(2, Blob2)], state: state);

        Assert.Null(plan.Target);
        Assert.Equal(2, plan.Held!.Level);
        Assert.False(plan.AlreadyApplied);
    }

    [Fact]
    public void Choose_TargetBlobApplied_AlreadyApplied()
    {
        var state = new ClientState { Applied = [Applied(2, Blob2)] };

        var plan = Choose([Patch(1, Blob1), Patch(2, Blob2)], state: state);

        Assert.Equal(2, plan.Target!.Level);
        Assert.True(plan.AlreadyApplied);
    }

    [Fact]
    public void Choose_TargetIsAppliedModuleUnderAnotherBlob_AlreadyApplied()
    {
        var state = new ClientState { Applied = [Applied(1, Blob1, moduleDigest: Digest)], ModuleDigests = new() { [Blob2] = Digest } };

        var plan = Choose([Patch(1, Blob1), Patch(2, Blob2)], state: state);

        Assert.Equal(2, plan.Target!.Level);
        Assert.True(plan.AlreadyApplied);
    }

    [Fact]
    public void Choose_TargetAppliedOnAnotherKernel_NotAlreadyApplied()
    {
        var state = new ClientState { Applied = [Applied(2, Blob2) with { BuildId = new string('e', 40) }] };

        var plan = Choose([Patch(2, Blob2)], state: state);

        Assert.False(plan.AlreadyApplied);
    }

    [Fact]
    public void Choose_AppliedPatchRevoked_ListedWithTheReason()
    {
        var state = new ClientState { Applied = [Applied(1, Blob1)] };

        var plan = Choose([Patch(1, Blob1), Patch(2, Blob2)], revoked: [Revoked(1, Blob1)], state: state);

        var revoked = Assert.Single(plan.Revoked);
        Assert.Equal(Blob1, revoked.Applied.Sha256);
        Assert.Equal("panics on boot", revoked.Reason);
        Assert.Equal(2, plan.Target!.Level);
    }

    private static UpdatePlan Choose(IReadOnlyList<ManifestPatch> patches, IReadOnlyList<RevokedPatch>? revoked = null,
        ClientOptions? options = null, ClientState? state = null)
    {
        var manifest = new Manifest
        {
            Schema = Manifest.CurrentSchema,
            Repository = RepositorySimulator.DefaultRepositoryId,
            Channel = "stable",
            BuildId = ModuleFixtures.BuildId,
            KernelRelease = ModuleFixtures.KernelRelease,
            Version = 1,
            Issued = Now.AddHours(-1),
            Expires = Now.AddDays(7),
            Patches = patches,
            Revoked = revoked ?? [],
        };
        var source = new VerifiedManifest(manifest, "http://mirror.example/", [], null);
        return PatchSelector.Choose(Kernel, source, options ?? new ClientOptions(), state ?? new ClientState(), Now);
    }

    private static ManifestPatch Patch(int level, string blob, DateTimeOffset? published = null) => new()
    {
        Name = "lp_sample",
        Level = level,
        Sha256 = blob,
        Size = 1000,
        Signer = "00:00",
        Replace = false,
        Published = published ?? Now.AddDays(-2),
    };

    private static RevokedPatch Revoked(int level, string blob) => new()
    {
        Name = "lp_sample", Level = level, Sha256 = blob, Reason = "panics on boot", RevokedAt = Now,
    };

    private static AppliedRecord Applied(int level, string blob, string? moduleDigest = null) =>
        new("lp_sample", level, blob, ModuleFixtures.BuildId, [], Now.AddDays(-1), moduleDigest);
}
