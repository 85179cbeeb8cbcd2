using System.Security.Cryptography;
using LivePatch.Client.Host;
using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Tests.Updates;

/// <summary>A run that was cut short (connection dropped, client killed between steps, host down during an apply) is repaired
/// by the next run; a manifest answered with 304 is verified again from the cache.</summary>
public sealed class UpdateEngineRecoveryTests(SimulatorPki pki) : SimulatorTests(pki)
{
    private static readonly ModuleFixture Module = ModuleFixtures.Signed;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Sim.Publish(Module, level: 1);
    }

    [Fact]
    public async Task Apply_ConnectionDroppedMidDownload_NextRunResumesWithRange()
    {
        Sim.DropBlobAfter = 3000;

        var interrupted = await Host.ApplyAsync();

        HostAssert.Refused(interrupted, ErrorCategory.Unreachable, ClientErrorCodes.DownloadFailed);
        Assert.Null(Host.StagedOrNull("lp_sample"));
        Assert.Equal(3000, new FileInfo(PartialPath()).Length);

        Sim.DropBlobAfter = null;
        var resumed = await Host.ApplyAsync();

        HostAssert.Applied(resumed);
        Assert.Equal("bytes=3000-", LastBlobRequest().Range);
        Assert.Equal(Module.Bytes, Host.StagedOrNull("lp_sample"));
        Assert.Equal(Module.Sha256, Sha256Of(Path.Combine(Host.Options.CacheDirectory, "sha256", Module.Sha256)));
    }

    [Fact]
    public async Task Apply_PartialLeftByKilledRun_Resumed()
    {
        WritePartial(Module.Bytes[..2048]);

        var result = await Host.ApplyAsync();

        HostAssert.Applied(result);
        Assert.Equal("bytes=2048-", LastBlobRequest().Range);
        Assert.Equal(Module.Bytes, Host.StagedOrNull("lp_sample"));
        Assert.False(File.Exists(PartialPath()));
    }

    [Fact]
    public async Task Apply_CorruptPartialLeftByKilledRun_Replaced()
    {
        // A crash before the data reached the disk can leave a torn tail (zeros) in the partial file.
        WritePartial([.. Module.Bytes[..1024], .. new byte[1024]]);

        var result = await Host.ApplyAsync();

        HostAssert.Applied(result);
        Assert.Equal(Module.Bytes, Host.StagedOrNull("lp_sample"));
        Assert.False(File.Exists(PartialPath()));
    }

    [Fact]
    public async Task Apply_RepositoryIgnoresRange_StartsOverInsteadOfAppending()
    {
        WritePartial(Module.Bytes[..2048]);
        Sim.HonourRange = false;

        var result = await Host.ApplyAsync();

        HostAssert.Applied(result);
        Assert.Equal("bytes=2048-", LastBlobRequest().Range); // asked, was answered 200 with everything
        Assert.Equal(Module.Bytes, Host.StagedOrNull("lp_sample"));
    }

    [Fact]
    public async Task Apply_ApplyPendingLeftByKilledRun_QuarantinedUntilCleared()
    {
        // The last run wrote the guard's apply-pending marker, then died before the loader returned.
        Host.Guard().BeginApply("lp_sample", 1, Module.Sha256);
        var before = Host.Snapshot();

        var refused = await Host.ApplyAsync();

        HostAssert.Refused(refused, ErrorCategory.Loader, ClientErrorCodes.PatchQuarantined);
        HostAssert.NothingLoaded(before, Host);
        Assert.Equal(CrashLoopGuard.InterruptedApply, Assert.Single(Host.Guard().Quarantined()).Reason);
        HostAssert.Refused(await Host.ApplyAsync(), ErrorCategory.Loader, ClientErrorCodes.PatchQuarantined); // it stays

        Assert.Equal(1, Host.Guard().Clear(null));
        HostAssert.Applied(await Host.ApplyAsync());
        Assert.Equal(Module.Bytes, Host.StagedOrNull("lp_sample"));
    }

    [Fact]
    public async Task Check_ManifestUnchanged_SendsIfNoneMatchAndVerifiesThe304Again()
    {
        Assert.True((await Host.CheckAsync()).Succeeded);
        Assert.Null(Assert.Single(Sim.Requests, r => r.Path.StartsWith("/v1/manifests/", StringComparison.Ordinal)).IfNoneMatch); // nothing cached yet
        var etag = CachedETag();

        var notModified = await Host.CheckAsync();

        Assert.True(notModified.Succeeded, notModified.Message);
        Assert.Equal((etag, 304), (Sim.Requests[^1].IfNoneMatch, Sim.Requests[^1].Status));

        // The same cached bytes, a week later: expired, whatever the repository says about them. The client then asks
        // for the repository's current bytes in full, and those (never re-signed here) are expired too.
        Host.Clock.Advance(TimeSpan.FromDays(8));
        var before = Host.Snapshot();
        var expired = await Host.CheckAsync();

        Assert.Equal((304, 200), (Sim.Requests[^2].Status, Sim.Requests[^1].Status));
        HostAssert.Refused(expired, ErrorCategory.Refused, ErrorCodes.ManifestExpired);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Check_CachedManifestAlteredOnDiskThen304_NotVouchedForByTheMemo_FetchedAgainInFull()
    {
        Assert.True((await Host.CheckAsync()).Succeeded);
        Assert.Single(Host.State.Memos); // the signature check of these bytes is remembered
        var cached = Path.Combine(Host.Options.CacheDirectory, "manifests", $"stable-{ModuleFixtures.BuildId}.cms");
        var bytes = File.ReadAllBytes(cached);
        bytes[bytes.AsSpan().IndexOf("\"channel\""u8) + 2] ^= 0x20; // inside the signed JSON
        File.WriteAllBytes(cached, bytes);

        var result = await Host.CheckAsync();

        // The altered copy got a 304, failed verification (the memo names other bytes), and was replaced in full.
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal((304, 200), (Sim.Requests[^2].Status, Sim.Requests[^1].Status));
        Assert.Null(Sim.Requests[^1].IfNoneMatch);
        Assert.NotEqual(bytes, File.ReadAllBytes(cached));
    }

    private string PartialPath() => Path.Combine(Host.PartialDirectory, Module.Sha256);

    private void WritePartial(byte[] bytes)
    {
        Directory.CreateDirectory(Host.PartialDirectory);
        File.WriteAllBytes(PartialPath(), bytes);
    }

    private SimulatorRequest LastBlobRequest() => Sim.Requests.Last(r => r.Path.StartsWith("/v1/blobs/", StringComparison.Ordinal));

    private string CachedETag() =>
        File.ReadAllText(Path.Combine(Host.Options.CacheDirectory, "manifests", $"stable-{ModuleFixtures.BuildId}.cms.etag")).Trim();

    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
