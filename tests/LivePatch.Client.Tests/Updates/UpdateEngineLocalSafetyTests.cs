using LivePatch.Core;
using System.Security.Cryptography;
using LivePatch.Client.Host;
using LivePatch.Client.Loading;
using LivePatch.Client.Updates;

namespace LivePatch.Client.Tests.Updates;

/// <summary>The client runs as root: its own folders, one run at a time, the loader given exactly the verified bytes, and the
/// crash-loop guard and revocations keyed on the module the kernel loads.</summary>
public sealed class UpdateEngineLocalSafetyTests(SimulatorPki pki) : SimulatorTests(pki)
{
    private static readonly ModuleFixture Module = ModuleFixtures.Signed;

    [Fact]
    public async Task Apply_CacheDirectoryWritableByOthers_RefusedBeforeAnythingIsFetched()
    {
        Sim.Publish(Module, level: 1);
        Directory.CreateDirectory(Host.Options.CacheDirectory);
        File.SetUnixFileMode(Host.Options.CacheDirectory, (UnixFileMode)0b111_111_111);
        var before = Host.Snapshot();

        var refused = await Assert.ThrowsAsync<UnsafePathException>(() => Host.ApplyAsync());

        Assert.Contains(Host.Options.CacheDirectory, refused.Message, StringComparison.Ordinal);
        Assert.Empty(Sim.Requests);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_StateDirectoryIsASymlink_Refused()
    {
        Sim.Publish(Module, level: 1);
        var elsewhere = Directory.CreateTempSubdirectory("lpatch-elsewhere-").FullName;
        try
        {
            File.SetUnixFileMode(elsewhere, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.CreateSymbolicLink(Host.Options.StateDirectory, elsewhere);

            await Assert.ThrowsAsync<UnsafePathException>(() => Host.ApplyAsync());

            Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere)); // nothing written through the link
            Assert.Null(Host.StagedOrNull("lp_sample"));
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Fact]
    public async Task Apply_NewFolders_CreatedOwnerOnly()
    {
        Sim.Publish(Module, level: 1);

        HostAssert.Applied(await Host.ApplyAsync());

        foreach (var folder in new[] { Host.Options.StateDirectory, Host.Options.CacheDirectory, Path.Combine(Host.Options.CacheDirectory, "sha256") })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }
    }

    [Fact]
    public async Task Apply_GzippedModule_LoaderGetsTheVerifiedPlainBytesFromAPrivateFolder()
    {
        var gzipped = Module.Gzipped();
        Sim.Publish(gzipped, level: 1);
        var loader = new RecordingLoader();

        var result = await Host.Engine(loader).ApplyAsync(dryRun: false, progress: null, CancellationToken.None);

        HostAssert.Applied(result);
        var seen = Assert.Single(loader.Applied);
        Assert.Equal(Module.Bytes, seen.Bytes); // decompressed, exactly the signed module
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Module.Bytes)), seen.Patch.Sha256);
        Assert.Equal(gzipped.Sha256, seen.Patch.BlobSha256);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, seen.FolderMode);
        Assert.False(File.Exists(seen.Patch.FilePath)); // removed after the load
    }

    [Fact]
    public async Task Apply_CachedBlobChangedOnDisk_NotLoadedFetchedAgain()
    {
        Sim.Publish(Module, level: 1);
        Assert.True((await Host.CheckAsync()).Succeeded);
        var cached = Path.Combine(Host.Options.CacheDirectory, "sha256", Module.Sha256);
        var altered = Module.Bytes.ToArray();
        altered[100] ^= 0xFF;
        File.WriteAllBytes(cached, altered);
        var loader = new RecordingLoader();

        HostAssert.Applied(await Host.Engine(loader).ApplyAsync(dryRun: false, progress: null, CancellationToken.None));

        Assert.Equal(Module.Bytes, Assert.Single(loader.Applied).Bytes);
        Assert.Equal(2, Sim.BlobRequests);
    }

    [Fact]
    public async Task Apply_AnotherRunHoldsTheLock_BusyWithItsPidAndNothingLoaded()
    {
        Sim.Publish(Module, level: 1);
        Host.Options.LockWait = TimeSpan.FromMilliseconds(300);
        var before = Host.Snapshot();
        using (RunLock.Acquire(Host.Options.StateDirectory, TimeSpan.Zero, TimeProvider.System))
        {
            var busy = await Assert.ThrowsAsync<LpatchBusyException>(() => Host.Engine().ApplyAsync(false, null, CancellationToken.None));

            Assert.Contains($"pid {Environment.ProcessId}", busy.Message, StringComparison.Ordinal);
        }

        Assert.Empty(Sim.Requests);
        HostAssert.NothingChanged(before, Host);
    }

    [Fact]
    public async Task Apply_TwoRunsAtOnce_OneAppliesTheOtherFindsItAppliedAndNothingIsQuarantined()
    {
        Sim.Publish(Module, level: 1);
        Sim.Delay = TimeSpan.FromMilliseconds(200); // make the runs overlap

        var results = await Task.WhenAll(Host.ApplyAsync(), Host.ApplyAsync());

        Assert.All(results, r => Assert.True(r.Succeeded, r.Message));
        Assert.Equal(["applied", "none"], results.Select(r => r.ActionName).Order());
        Assert.Empty(Host.Guard().Quarantined());
        Assert.Equal(Module.Sha256, Assert.Single(Host.State.Applied).Sha256);
    }

    [Fact]
    public async Task Apply_QuarantinedModuleRewrappedInNewGzip_StillQuarantined()
    {
        Sim.Publish(Module.Gzipped(System.IO.Compression.CompressionLevel.Fastest), level: 1);
        var failing = new RecordingLoader { Fail = true };
        Assert.Equal(ErrorCategory.Loader, (await Host.Engine(failing).ApplyAsync(false, null, CancellationToken.None)).Failure!.Category);
        Assert.Single(Host.Guard().Quarantined());

        Sim.Version = 2;
        Sim.Publish(Module.Gzipped(System.IO.Compression.CompressionLevel.SmallestSize), level: 2);
        var loader = new RecordingLoader();
        var again = await Host.Engine(loader).ApplyAsync(false, null, CancellationToken.None);

        HostAssert.Refused(again, ErrorCategory.Loader, ClientErrorCodes.PatchQuarantined);
        Assert.Empty(loader.Applied);
    }

    [Fact]
    public async Task Apply_AppliedModuleRevokedAndOfferedAgainRecompressed_RemovedAndNotApplied()
    {
        var level1 = Sim.Publish(Module, level: 1);
        HostAssert.Applied(await Host.ApplyAsync());

        Sim.Version = 2;
        Sim.Revoke(level1);
        Sim.Publish(Module.Gzipped(), level: 2);
        var result = await Host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.ModuleRevoked);
        Assert.Null(Host.StagedOrNull("lp_sample")); // the revoked one was removed all the same
        Assert.Empty(Host.State.Applied);
    }

    [Fact]
    public async Task Apply_SameModuleRepublishedRecompressed_NotAppliedTwice()
    {
        Sim.Publish(Module, level: 1);
        var loader = new RecordingLoader();
        HostAssert.Applied(await Host.Engine(loader).ApplyAsync(false, null, CancellationToken.None));

        Sim.Version = 2;
        Sim.Publish(Module.Gzipped(), level: 2);
        var again = await Host.Engine(loader).ApplyAsync(false, null, CancellationToken.None);

        Assert.True(again.Succeeded, again.Message);
        Assert.Equal(UpdateAction.None, again.Action);
        Assert.Single(loader.Applied);
    }

    /// <summary>A loader that keeps what it was handed: the file's bytes and its folder's mode at the time of the call.</summary>
    private sealed class RecordingLoader : IPatchLoader
    {
        private readonly List<string> _loaded = [];

        public List<(PatchToApply Patch, byte[] Bytes, UnixFileMode FolderMode)> Applied { get; } = [];

        public bool Fail { get; init; }

        public string Kind => "recording";

        public Task<LoaderResult> ApplyAsync(PatchToApply patch, CancellationToken cancellation)
        {
            if (Fail)
            {
                return Task.FromResult(LoaderResult.Failed(LoaderErrorCodes.InsmodFailed, "insmod: exited with 1"));
            }

            Applied.Add((patch, File.ReadAllBytes(patch.FilePath), File.GetUnixFileMode(Path.GetDirectoryName(patch.FilePath)!)));
            _loaded.Add(patch.Name);
            return Task.FromResult(LoaderResult.Ok("loaded"));
        }

        public Task<LoaderResult> RemoveAsync(string name, CancellationToken cancellation) =>
            Task.FromResult(_loaded.Remove(name) ? LoaderResult.Ok("removed") : LoaderResult.Failed(LoaderErrorCodes.NotApplied, "not loaded"));

        public Task<IReadOnlyList<LoadedPatch>> ListAsync(CancellationToken cancellation) =>
            Task.FromResult<IReadOnlyList<LoadedPatch>>(_loaded.Select(n => new LoadedPatch(n, true, false)).ToList());
    }
}
