using System.Security.Cryptography;
using LivePatch.Client.Host;
using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Tests.Updates;

/// <summary>A run that was cut short (connection dropped, client killed between steps, host down during an apply) is repaired
/// by the next run; a manifest answered with 304 is verified again from the cache.</summary>
public sealed class UpdateEngineRecoveryTests(SimulatorPki pki) : IClassFixture<SimulatorPki>, IAsyncLifetime
{
    private static readonly ModuleFixture Module = ModuleFixtures.Signed;

    private RepositorySimulator _sim = null!;
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _sim = await RepositorySimulator.StartAsync(pki);
        _host = new TestHost(pki, _sim.Url);
        _sim.Publish(Module, level: 1);
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        _host.Dispose();
    }

    [Fact]
    public async Task Apply_ConnectionDroppedMidDownload_NextRunResumesWithRange()
    {
        _sim.DropBlobAfter = 3000;

        var interrupted = await _host.ApplyAsync();

        HostAssert.Refused(interrupted, FailureKind.Unreachable, ClientErrorCodes.DownloadFailed);
        Assert.Null(_host.StagedOrNull("lp_sample"));
        Assert.Equal(3000, new FileInfo(PartialPath()).Length);

        _sim.DropBlobAfter = null;
        var resumed = await _host.ApplyAsync();

        HostAssert.Applied(resumed);
        Assert.Equal("bytes=3000-", LastBlobRequest().Range);
        Assert.Equal(Module.Bytes, _host.StagedOrNull("lp_sample"));
        Assert.Equal(Module.Sha256, Sha256Of(Path.Combine(_host.Options.CacheDirectory, "sha256", Module.Sha256)));
    }

    [Fact]
    public async Task Apply_PartialLeftByKilledRun_Resumed()
    {
        WritePartial(Module.Bytes[..2048]);

        var result = await _host.ApplyAsync();

        HostAssert.Applied(result);
        Assert.Equal("bytes=2048-", LastBlobRequest().Range);
        Assert.Equal(Module.Bytes, _host.StagedOrNull("lp_sample"));
        Assert.False(File.Exists(PartialPath()));
    }

    [Fact]
    public async Task Apply_CorruptPartialLeftByKilledRun_Replaced()
    {
        // A crash before the data reached the disk can leave a torn tail (zeros) in the partial file.
        WritePartial([.. Module.Bytes[..1024], .. new byte[1024]]);

        var result = await _host.ApplyAsync();

        HostAssert.Applied(result);
        Assert.Equal(Module.Bytes, _host.StagedOrNull("lp_sample"));
        Assert.False(File.Exists(PartialPath()));
    }

    [Fact]
    public async Task Apply_RepositoryIgnoresRange_StartsOverInsteadOfAppending()
    {
        WritePartial(Module.Bytes[..2048]);
        _sim.HonourRange = false;

        var result = await _host.ApplyAsync();

        HostAssert.Applied(result);
        Assert.Equal("bytes=2048-", LastBlobRequest().Range); // asked, was answered 200 with everything
        Assert.Equal(Module.Bytes, _host.StagedOrNull("lp_sample"));
    }

    [Fact]
    public async Task Apply_ApplyPendingLeftByKilledRun_QuarantinedUntilCleared()
    {
        // The last run wrote the guard's apply-pending marker, then died before the loader returned.
        _host.Guard().BeginApply("lp_sample", 1, Module.Sha256);
        var before = _host.Snapshot();

        var refused = await _host.ApplyAsync();

        HostAssert.Refused(refused, FailureKind.Loader, ClientErrorCodes.PatchQuarantined);
        HostAssert.NothingLoaded(before, _host);
        Assert.Equal(CrashLoopGuard.InterruptedApply, Assert.Single(_host.Guard().Quarantined()).Reason);
        HostAssert.Refused(await _host.ApplyAsync(), FailureKind.Loader, ClientErrorCodes.PatchQuarantined); // it stays

        Assert.Equal(1, _host.Guard().Clear(null));
        HostAssert.Applied(await _host.ApplyAsync());
        Assert.Equal(Module.Bytes, _host.StagedOrNull("lp_sample"));
    }

    [Fact]
    public async Task Check_ManifestUnchanged_SendsIfNoneMatchAndVerifiesThe304Again()
    {
        Assert.True((await _host.CheckAsync()).Succeeded);
        Assert.Null(Assert.Single(_sim.Requests).IfNoneMatch); // nothing cached yet
        var etag = CachedETag();

        var notModified = await _host.CheckAsync();

        Assert.True(notModified.Succeeded, notModified.Message);
        Assert.Equal((etag, 304), (_sim.Requests[^1].IfNoneMatch, _sim.Requests[^1].Status));

        // The same cached bytes, a week later: expired, whatever the repository says about them. The client then asks
        // for the repository's current bytes in full, and those (never re-signed here) are expired too.
        _host.Clock.Advance(TimeSpan.FromDays(8));
        var before = _host.Snapshot();
        var expired = await _host.CheckAsync();

        Assert.Equal((304, 200), (_sim.Requests[^2].Status, _sim.Requests[^1].Status));
        HostAssert.Refused(expired, FailureKind.Verification, ErrorCodes.ManifestExpired);
        HostAssert.NothingChanged(before, _host);
    }

    [Fact]
    public async Task Check_CachedManifestAlteredOnDiskThen304_NotVouchedForByTheMemo_FetchedAgainInFull()
    {
        Assert.True((await _host.CheckAsync()).Succeeded);
        Assert.Single(_host.State.Memos); // the signature check of these bytes is remembered
        var cached = Path.Combine(_host.Options.CacheDirectory, "manifests", $"stable-{ModuleFixtures.BuildId}.cms");
        var bytes = File.ReadAllBytes(cached);
        bytes[bytes.AsSpan().IndexOf("\"channel\""u8) + 2] ^= 0x20; // inside the signed JSON
        File.WriteAllBytes(cached, bytes);

        var result = await _host.CheckAsync();

        // The altered copy got a 304, failed verification (the memo names other bytes), and was replaced in full.
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal((304, 200), (_sim.Requests[^2].Status, _sim.Requests[^1].Status));
        Assert.Null(_sim.Requests[^1].IfNoneMatch);
        Assert.NotEqual(bytes, File.ReadAllBytes(cached));
    }

    private string PartialPath() => Path.Combine(_host.PartialDirectory, Module.Sha256);

    private void WritePartial(byte[] bytes)
    {
        Directory.CreateDirectory(_host.PartialDirectory);
        File.WriteAllBytes(PartialPath(), bytes);
    }

    private SimulatorRequest LastBlobRequest() => _sim.Requests.Last(r => r.Path.StartsWith("/v1/blobs/", StringComparison.Ordinal));

    private string CachedETag() =>
        File.ReadAllText(Path.Combine(_host.Options.CacheDirectory, "manifests", $"stable-{ModuleFixtures.BuildId}.cms.etag")).Trim();

    private static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
