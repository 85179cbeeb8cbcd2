using System.Diagnostics;
using static LivePatch.EndToEnd.Tests.MirrorFixture;

namespace LivePatch.EndToEnd.Tests;

/// <summary><c>lpatch mirror sync</c> against a real server: killed halfway and run again, and refusing a tampered folder
/// source; and a host using the synced folder as a <c>file://</c> repository.</summary>
public sealed class MirrorSyncEndToEndTests : IDisposable
{
    private readonly MirrorFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Sync_KilledHalfwayThenRerun_TreeConsistentThroughoutAndConverges()
    {
        await _fixture.Server.StartAsync();
        _fixture.Publish(Neighbour);
        var tree = Path.Combine(_fixture.Root, "tree");
        Assert.Equal(0, _fixture.Sync(tree).Exit);
        var before = IndexBytes(tree);
        var kernels = Enumerable.Range(1, 160).Select(i => $"{i:x2}{new string('0', 36)}{i:x2}").ToArray();
        _fixture.Publish(kernels);
        await WaitUntilServedAsync(kernels);

        // Kill it once some of the new manifests are being written (their temp files appear before any bin, and the index is last).
        using (var sync = Start(_fixture.SyncArgs(tree)))
        {
            var manifests = Path.Combine(tree, "v1", "manifests", "stable");
            var deadline = Stopwatch.StartNew();
            while (Directory.EnumerateFiles(manifests).Count() < 10 && !sync.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(5);
            }

            Assert.False(sync.HasExited, "the sync finished before it could be killed");
            sync.Kill(entireProcessTree: true);
            await sync.WaitForExitAsync();
        }

        Assert.Equal(before, IndexBytes(tree)); // the index is written last: the kill came before it
        Assert.Empty(MirrorTrees.Dangling(tree, _fixture.Policy, TimeProvider.System, exact: false));

        var rerun = _fixture.Sync(tree);
        Assert.True(rerun.Exit == 0, rerun.ToString());
        Assert.Empty(MirrorTrees.Dangling(tree, _fixture.Policy, TimeProvider.System));
        Assert.Contains("copied 0 files", _fixture.Sync(tree).Output);
    }

    [Fact]
    public async Task Sync_FolderAnotherSyncIsWriting_Exit5AndNothingWritten()
    {
        await _fixture.Server.StartAsync();
        _fixture.Publish(Neighbour);
        var tree = Path.Combine(_fixture.Root, "tree");

        using (Core.Mirrors.MirrorFolderLock.Acquire(tree)) // what a running sync holds
        {
            var busy = _fixture.Sync(tree);
            Assert.Equal(5, busy.Exit);
            Assert.Contains("mirror-target-busy", busy.Error);
            Assert.False(Directory.Exists(Path.Combine(tree, "v1")));
        }

        Assert.Equal(0, _fixture.Sync(tree).Exit);
    }

    [Fact]
    public async Task Sync_TamperedFolderSource_RefusedAndTargetUnchanged()
    {
        await _fixture.Server.StartAsync();
        _fixture.Publish(Neighbour);
        var upstream = Path.Combine(_fixture.Root, "upstream");
        var copy = Path.Combine(_fixture.Root, "copy");
        Assert.Equal(0, _fixture.Sync(upstream).Exit);
        Assert.Equal(0, _fixture.Sync(copy, from: upstream).Exit);
        _fixture.Publish(BuildId);
        Assert.Equal(0, _fixture.Sync(upstream).Exit);
        var manifest = Path.Combine(upstream, "v1", "manifests", "stable", BuildId);
        var bytes = File.ReadAllBytes(manifest);
        bytes[^20] ^= 1;
        File.WriteAllBytes(manifest, bytes);
        var before = MirrorTrees.Snapshot(copy);

        var run = _fixture.Sync(copy, from: "file://" + upstream);

        Assert.Equal(1, run.Exit);
        Assert.Contains("lpatch: error [mirror-document-mismatch]", run.Error);
        Assert.Contains($"v1/manifests/stable/{BuildId}", run.Error);
        Assert.True(MirrorTrees.Same(before, MirrorTrees.Snapshot(copy)));
    }

    [Fact]
    public async Task Host_FileRepository_NotCoveredThenAppliedThenTamperedRefused()
    {
        await _fixture.Server.StartAsync();
        _fixture.Publish(Neighbour);
        var tree = Path.Combine(_fixture.Root, "tree");
        Assert.Equal(0, _fixture.Sync(tree).Exit);
        var stage = Path.Combine(_fixture.Root, "stage");
        var config = HostConfig.Write(_fixture.Root, ["file://" + tree], _fixture.Server.Keys("root.pem"), new { kind = "stage", stageDirectory = stage });

        var notCovered = Lpatch.Run("apply", "--config", config);
        Assert.True(notCovered.Exit == 0, notCovered.ToString());
        Assert.Contains("not-covered", notCovered.Output);

        _fixture.Publish(BuildId);
        Assert.Equal(0, _fixture.Sync(tree).Exit);
        var applied = Lpatch.Run("apply", "--config", config);
        Assert.True(applied.Exit == 0, applied.ToString());
        Assert.True(File.Exists(Path.Combine(stage, "lp_sample.ko")));
        Assert.Contains("file://" + tree, applied.Output); // messages name the file:// URL, not the client's synthetic base

        var manifest = Path.Combine(tree, "v1", "manifests", "stable", BuildId);
        var bytes = File.ReadAllBytes(manifest);
        bytes[^20] ^= 1;
        File.WriteAllBytes(manifest, bytes);
        var refused = Lpatch.Run("check", "--config", config);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("cms-signature-invalid", refused.Output + refused.Error);
    }

    private static byte[] IndexBytes(string tree) => File.ReadAllBytes(Path.Combine(tree, "v1", "index"));

    /// <summary>Waits until the server's re-signer has signed the last batch: every kernel's manifest is served.</summary>
    private async Task WaitUntilServedAsync(string[] kernels)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_fixture.Server.Url) };
        for (var i = 0; i < 300; i++)
        {
            if ((await http.GetAsync($"v1/manifests/stable/{kernels[^1]}")).IsSuccessStatusCode
                && (await http.GetAsync($"v1/coverage/stable/{kernels[^1][..2]}")).IsSuccessStatusCode)
            {
                await Task.Delay(500); // the bins and the index follow the manifests' last batch
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the server did not sign every manifest within 30 s");
    }

    private static Process Start(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = false, RedirectStandardError = false };
        start.ArgumentList.Add(Binaries.Lpatch);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }
}
