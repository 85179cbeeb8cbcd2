using LivePatch.Client.Host;
using LivePatch.Client.Updates;
using LivePatch.Core;
using LivePatch.Core.Manifests;

namespace LivePatch.Client.Tests.Updates;

/// <summary>Step 8 against the simulator: the bytes returned are the blob the manifest names, the cache is checked before it
/// is trusted, an interrupted download resumes with Range, and a lying server is caught.</summary>
public sealed class ModuleDownloaderTests(SimulatorPki pki) : SimulatorTests(pki)
{
    private static readonly ModuleFixture Module = ModuleFixtures.Signed;

    private ManifestPatch _patch = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _patch = Sim.Publish(Module, level: 1);
    }

    [Fact]
    public async Task Download_BlobOnServer_ReturnsItsBytesAndCachesThem()
    {
        var (module, failure) = await DownloadAsync();

        Assert.Null(failure);
        Assert.Equal(Module.Bytes, module!.Bytes);
        Assert.Same(_patch, module.Patch);
        Assert.Equal(Module.Bytes, File.ReadAllBytes(Downloader().PathOf(Module.Sha256)));
        Assert.Null(Assert.Single(BlobRequests()).Range);
    }

    [Fact]
    public async Task Download_GoodBlobCached_ReturnedWithoutARequest()
    {
        Assert.Null((await DownloadAsync()).Failure);
        var requests = Sim.BlobRequests;

        var (module, failure) = await DownloadAsync();

        Assert.Null(failure);
        Assert.Equal(Module.Bytes, module!.Bytes);
        Assert.Equal(requests, Sim.BlobRequests);
    }

    [Fact]
    public async Task Download_CachedBlobDamaged_FetchedAgainAndCacheRepaired()
    {
        Assert.Null((await DownloadAsync()).Failure);
        var cached = Downloader().PathOf(Module.Sha256);
        var damaged = Module.Bytes.ToArray();
        damaged[200] ^= 0xFF;
        File.WriteAllBytes(cached, damaged);

        var (module, failure) = await DownloadAsync();

        Assert.Null(failure);
        Assert.Equal(Module.Bytes, module!.Bytes);
        Assert.Equal(2, Sim.BlobRequests);
        Assert.Equal(Module.Bytes, File.ReadAllBytes(cached));
    }

    [Fact]
    public async Task Download_ConnectionDropped_PartialKeptAndResumedWithRange()
    {
        Sim.DropBlobAfter = 3000;

        var (dropped, interrupted) = await DownloadAsync();

        Assert.Null(dropped);
        Assert.Equal(ClientErrorCodes.DownloadFailed.Code, interrupted!.Code);
        Assert.Equal(ErrorCategory.Unreachable, interrupted.Category);
        Assert.Equal(Module.Bytes[..3000], File.ReadAllBytes(PartialPath()));

        Sim.DropBlobAfter = null;
        var (module, failure) = await DownloadAsync();

        Assert.Null(failure);
        Assert.Equal(Module.Bytes, module!.Bytes);
        Assert.Equal("bytes=3000-", BlobRequests()[^1].Range);
        Assert.False(File.Exists(PartialPath()));
    }

    [Fact]
    public async Task Download_PartialAnswerNotFromTheAskedOffset_DiscardedAndFetchedWithoutRange()
    {
        Sim.DropBlobAfter = 3000;
        Assert.NotNull((await DownloadAsync()).Failure);
        Sim.DropBlobAfter = null;
        Sim.WrongContentRange = true; // answers "bytes=3000-" with a 206 from byte 0

        var (module, failure) = await DownloadAsync();

        Assert.Null(failure);
        Assert.Equal(Module.Bytes, module!.Bytes);
        var requests = BlobRequests();
        Assert.Equal(("bytes=3000-", 206), (requests[^2].Range, requests[^2].Status));
        Assert.Equal((null, 200), (requests[^1].Range, requests[^1].Status));
        Assert.Equal(Module.Bytes, File.ReadAllBytes(Downloader().PathOf(Module.Sha256)));
    }

    [Fact]
    public async Task Download_ServerSendsMoreThanDeclared_RefusedTooLargeAndNothingCached()
    {
        Sim.BlobAttack = BlobAttack.Oversize;

        var (module, failure) = await DownloadAsync();

        Assert.Null(module);
        Assert.Equal(ClientErrorCodes.DownloadTooLarge.Code, failure!.Code);
        Assert.Equal(ErrorCategory.Refused, failure.Category);
        Assert.False(File.Exists(Downloader().PathOf(Module.Sha256)));
        Assert.False(File.Exists(PartialPath()));
    }

    [Fact]
    public async Task Download_CorruptBlob_RefusedHashMismatchAndNothingCached()
    {
        Sim.BlobAttack = BlobAttack.Corrupt;

        var (module, failure) = await DownloadAsync();

        Assert.Null(module);
        Assert.Equal(ClientErrorCodes.DownloadHashMismatch.Code, failure!.Code);
        Assert.False(File.Exists(Downloader().PathOf(Module.Sha256)));
        Assert.False(File.Exists(PartialPath()));
    }

    [Fact]
    public async Task Download_DeclaredSizeAboveMaxModuleBytes_RefusedBeforeAnyRequest()
    {
        var (module, failure) = await DownloadAsync(Downloader(maxModuleBytes: Module.Size - 1));

        Assert.Null(module);
        Assert.Equal(ClientErrorCodes.DownloadTooLarge.Code, failure!.Code);
        Assert.Empty(Sim.Requests);
    }

    private ModuleDownloader Downloader(long? maxModuleBytes = null) =>
        new(Host.Options.CacheDirectory, maxModuleBytes ?? Host.Options.MaxModuleBytes, TimeSpan.FromSeconds(20));

    private async Task<(DownloadedModule? Module, UpdateFailure? Failure)> DownloadAsync(ModuleDownloader? downloader = null)
    {
        using var repository = HostClient.Connect(Sim.Url, Host.Options);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await (downloader ?? Downloader()).DownloadAsync(repository, _patch, progress: null, timeout.Token);
    }

    private List<SimulatorRequest> BlobRequests() => [.. Sim.Requests.Where(r => r.Path.StartsWith("/v1/blobs/", StringComparison.Ordinal))];

    private string PartialPath() => Path.Combine(Host.PartialDirectory, Module.Sha256);
}
