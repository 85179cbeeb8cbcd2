using LivePatch.Core.Mirrors;

namespace LivePatch.Core.Tests.Mirrors;

public sealed class MirrorSyncTests : IDisposable
{
    private const string KernelA = "0a00000000000000000000000000000000000001";
    private const string KernelB = "0b00000000000000000000000000000000000002";
    private const string KernelC = "c000000000000000000000000000000000000003";
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-mirror-test-").FullName;
    private readonly SignedTreeRepository _upstream;

    public MirrorSyncTests()
    {
        _upstream = new SignedTreeRepository(Path.Combine(_root, "source"), "test-repo", "stable", "beta");
        _upstream.Publish("stable", [KernelA, KernelB]);
        _upstream.Publish("beta", [KernelC]);
    }

    private string Source => _upstream.Root;

    private string Target => Path.Combine(_root, "target");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task RunAsync_EmptyTarget_CopiesTheWholeTree()
    {
        var result = await SyncAsync();

        Assert.True(result.IsSuccess, result.Issue?.ToString());
        Assert.True(MirrorTrees.Same(MirrorTrees.Snapshot(Source), MirrorTrees.Snapshot(Target)));
        Assert.Empty(MirrorTrees.Dangling(Target, TestPki.Instance.Policy(), TestPki.Clock()));
        var summary = result.Summary;
        Assert.Equal((1, 512, 3, 2), (summary.Index.Copied, summary.Bins.Copied, summary.Manifests.Copied, summary.Blobs.Copied));
        Assert.Equal(_upstream.Version, summary.IndexVersion);
        Assert.Null(summary.PreviousIndexVersion);
    }

    [Fact]
    public async Task RunAsync_NothingNew_ReadsOnlyTheIndex()
    {
        await SyncAsync();
        var source = new CountingSource(new DirectoryMirrorSource(Source));

        var result = await SyncAsync(source);

        Assert.True(result.IsSuccess, result.Issue?.ToString());
        Assert.Equal([MirrorTree.IndexPath], source.Reads);
        Assert.Equal(0, result.Summary.FilesCopied);
        Assert.Equal(512, result.Summary.Bins.Skipped);
    }

    [Fact]
    public async Task RunAsync_OnePublish_CopiesOnlyWhatChanged()
    {
        await SyncAsync();
        var sha256 = _upstream.Publish("stable", [KernelB]);
        var source = new CountingSource(new DirectoryMirrorSource(Source));

        var result = await SyncAsync(source);

        Assert.True(result.IsSuccess, result.Issue?.ToString());
        Assert.Equal([MirrorTree.IndexPath, MirrorTree.CoveragePath("stable", "0b"), MirrorTree.ManifestPath("stable", KernelB),
            MirrorTree.BlobPath(sha256)], source.Reads);
        Assert.Equal((1, 1, 1, 1), (result.Summary.Index.Copied, result.Summary.Bins.Copied, result.Summary.Manifests.Copied, result.Summary.Blobs.Copied));
        Assert.True(MirrorTrees.Same(MirrorTrees.Snapshot(Source), MirrorTrees.Snapshot(Target)));
    }

    [Fact]
    public async Task RunAsync_OlderIndexThanTheTargets_RefusedAndTargetUnchanged()
    {
        var old = Path.Combine(_root, "old");
        CopyFolder(Source, old);
        _upstream.Publish("stable", [KernelA]);
        await SyncAsync();
        var before = MirrorTrees.Snapshot(Target);

        var result = await SyncAsync(new DirectoryMirrorSource(old));

        Assert.Equal(ErrorCodes.MirrorIndexRollback, result.Issue?.Error);
        Assert.True(MirrorTrees.Same(before, MirrorTrees.Snapshot(Target)));
    }

    [Theory]
    [InlineData("index", "cms-signature-invalid")]
    [InlineData("bin", "mirror-document-mismatch")]
    [InlineData("manifest", "mirror-document-mismatch")]
    [InlineData("blob", "mirror-blob-mismatch")]
    public async Task RunAsync_TamperedUpstream_RefusedAndTargetUnchanged(string what, string code)
    {
        await SyncAsync();
        var sha256 = _upstream.Publish("stable", [KernelA]);
        var before = MirrorTrees.Snapshot(Target);
        var path = what switch
        {
            "index" => MirrorTree.IndexPath,
            "bin" => MirrorTree.CoveragePath("stable", "0a"),
            "manifest" => MirrorTree.ManifestPath("stable", KernelA),
            _ => MirrorTree.BlobPath(sha256),
        };
        Tamper(Path.Combine(Source, path));

        var result = await SyncAsync();

        Assert.Equal(code, result.Issue?.Code);
        Assert.Contains(path, result.Issue!.Message);
        Assert.True(MirrorTrees.Same(before, MirrorTrees.Snapshot(Target)));
    }

    [Fact]
    public async Task RunAsync_TargetOfAnotherRoot_RefusedAsTargetInvalid()
    {
        var stranger = new SignedTreeRepository(Target, "other-repo");
        Tamper(Path.Combine(stranger.Root, MirrorTree.IndexPath));

        var result = await SyncAsync();

        Assert.Equal(ErrorCodes.MirrorTargetInvalid, result.Issue?.Error);
        Assert.Contains("does not verify", result.Issue!.Message);
    }

    [Fact]
    public async Task RunAsync_ChannelFilter_CopiesOnlyThatChannel()
    {
        var result = await SyncAsync(channels: ["beta"]);

        Assert.True(result.IsSuccess, result.Issue?.ToString());
        Assert.Equal(256, result.Summary.Bins.Copied);
        Assert.Empty(MirrorTrees.Dangling(Target, TestPki.Instance.Policy(), TestPki.Clock(), ["beta"]));
        Assert.False(Directory.Exists(Path.Combine(Target, "v1", "coverage", "stable")));
        Assert.False(Directory.Exists(Path.Combine(Target, "v1", "manifests", "stable")));
    }

    [Fact]
    public async Task RunAsync_UnknownChannel_RefusedAsUsage()
    {
        var result = await SyncAsync(channels: ["nightly"]);

        Assert.Equal(ErrorCodes.MirrorChannelUnknown, result.Issue?.Error);
        Assert.Equal(ErrorCategory.Invalid, result.Issue!.Error.Category);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunAsync_Prune_DeletesOnlyWhatNothingNames(bool prune)
    {
        await SyncAsync();
        string[] strays = [MirrorTree.ManifestPath("stable", "0a00000000000000000000000000000000000099"),
            MirrorTree.BlobPath(new string('e', 64)), MirrorTree.CoveragePath("retired", "00")];
        foreach (var stray in strays)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Target, stray))!);
            File.WriteAllText(Path.Combine(Target, stray), "stray");
        }

        var result = await SyncAsync(prune: prune);

        Assert.True(result.IsSuccess, result.Issue?.ToString());
        Assert.Equal(prune ? 3 : 0, result.Summary.FilesDeleted);
        Assert.All(strays, s => Assert.Equal(!prune, File.Exists(Path.Combine(Target, s))));
        Assert.Empty(MirrorTrees.Dangling(Target, TestPki.Instance.Policy(), TestPki.Clock()));
    }

    [Fact]
    public async Task RunAsync_PruneWithChannelFilter_DeletesTheOtherChannels()
    {
        await SyncAsync();

        var result = await SyncAsync(channels: ["stable"], prune: true);

        Assert.True(result.IsSuccess, result.Issue?.ToString());
        Assert.Equal((256, 1, 1), (result.Summary.Bins.Deleted, result.Summary.Manifests.Deleted, result.Summary.Blobs.Deleted));
        Assert.Empty(MirrorTrees.Dangling(Target, TestPki.Instance.Policy(), TestPki.Clock(), ["stable"]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task RunAsync_InterruptedThenRerun_ConsistentThroughoutAndConverges(int writesBeforeFailure)
    {
        await SyncAsync();
        var published = new[] { _upstream.Publish("stable", [KernelA, KernelB]), _upstream.Publish("beta", [KernelC]) };
        var policy = TestPki.Instance.Policy();
        var checks = 0;
        var crashing = new InterruptedTarget(new DirectoryMirrorTarget(Target, durable: false), writesBeforeFailure, () =>
        {
            checks++;
            Assert.Empty(MirrorTrees.Dangling(Target, policy, TestPki.Clock(), exact: false));
        });

        var interrupted = await new MirrorSync(new DirectoryMirrorSource(Source), crashing, Options(), TestPki.Clock()).RunAsync(default);
        var rerun = await SyncAsync();

        Assert.Equal(ErrorCodes.MirrorTargetFailed, interrupted.Issue?.Error);
        Assert.Equal(writesBeforeFailure, checks);
        Assert.True(rerun.IsSuccess, rerun.Issue?.ToString());
        Assert.True(MirrorTrees.Same(MirrorTrees.Snapshot(Source), MirrorTrees.Snapshot(Target)));
        Assert.Equal(2, published.Distinct().Count());
    }

    [Fact]
    public async Task RunAsync_WritesBlobsThenManifestsThenBinsThenIndex()
    {
        await SyncAsync();
        _upstream.Publish("stable", [KernelA]);
        var kinds = new List<MirrorFileKind>();

        var result = await new MirrorSync(new DirectoryMirrorSource(Source), new DirectoryMirrorTarget(Target, durable: false),
            Options() with { Progress = p => kinds.Add(p.Kind) }, TestPki.Clock()).RunAsync(default);

        Assert.True(result.IsSuccess, result.Issue?.ToString());
        Assert.Equal([MirrorFileKind.Blob, MirrorFileKind.Manifest, MirrorFileKind.Bin, MirrorFileKind.Index], kinds);
    }

    [Fact]
    public async Task RunAsync_MakesEachPhaseDurableBeforeTheNextWrites()
    {
        await SyncAsync();
        _upstream.Publish("stable", [KernelA]);
        var target = new PhaseRecordingTarget(new DirectoryMirrorTarget(Target, durable: false));

        var result = await new MirrorSync(new DirectoryMirrorSource(Source), target, Options(), TestPki.Clock()).RunAsync(default);

        Assert.True(result.IsSuccess, result.Issue?.ToString());
        Assert.Equal(["blob", "flush", "manifest", "flush", "bin", "flush", "index", "flush"], target.Events);
    }

    private Task<MirrorSyncResult> SyncAsync(IMirrorSource? source = null, IReadOnlyCollection<string>? channels = null, bool prune = false) =>
        new MirrorSync(source ?? new DirectoryMirrorSource(Source), new DirectoryMirrorTarget(Target, durable: false),
            Options() with { Channels = channels ?? [], Prune = prune }, TestPki.Clock()).RunAsync(default);

    private static MirrorSyncOptions Options() => new() { Policy = TestPki.Instance.Policy() };

    private static void Tamper(string file)
    {
        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(file, bytes);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
    }
}

/// <summary>Records the kinds written (one entry per run of the same kind) and the flushes in between.</summary>
internal sealed class PhaseRecordingTarget(IMirrorTarget inner) : IMirrorTarget
{
    public List<string> Events { get; } = [];

    public string Description => inner.Description;

    public Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation) => inner.ReadOrNullAsync(path, maxBytes, cancellation);

    public Task<long?> SizeOrNullAsync(string path, CancellationToken cancellation) => inner.SizeOrNullAsync(path, cancellation);

    public Task WriteAsync(string path, Stream content, long length, CancellationToken cancellation)
    {
        var kind = MirrorTree.KindOf(path)!.Value.ToString().ToLowerInvariant();
        if (Events.Count == 0 || Events[^1] != kind)
        {
            Events.Add(kind);
        }

        return inner.WriteAsync(path, content, length, cancellation);
    }

    public Task DeleteAsync(string path, CancellationToken cancellation) => inner.DeleteAsync(path, cancellation);

    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellation) => inner.ListAsync(prefix, cancellation);

    public Task FlushAsync(CancellationToken cancellation)
    {
        Events.Add("flush");
        return inner.FlushAsync(cancellation);
    }
}
