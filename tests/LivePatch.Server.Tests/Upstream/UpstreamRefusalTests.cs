using LivePatch.Core;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Repository;

namespace LivePatch.Server.Tests.Upstream;

/// <summary>Nothing unverified is stored: a tampered, truncated or rolled-back vendor tree, or one signed under a root the site
/// does not pin, is refused with a stable code and the site serves exactly what it served before.</summary>
public sealed class UpstreamRefusalTests : IDisposable
{
    private readonly SiteAndVendor _servers = new();
    private readonly List<string> _trees = [];

    public void Dispose()
    {
        _servers.Dispose();
        _trees.ForEach(t => Directory.Delete(t, recursive: true));
    }

    [Fact]
    public async Task Import_TamperedManifest_RefusedNothingStored()
    {
        var tree = await TreeAsync();

        await AssertRefusedAsync(tree, ProblemCodes.UpstreamDigestMismatch, () => Flip(tree, MirrorTree.ManifestPath("stable", Fixtures.BuildId)));
    }

    [Fact]
    public async Task Import_TamperedBin_RefusedNothingStored()
    {
        var tree = await TreeAsync();

        await AssertRefusedAsync(tree, ProblemCodes.UpstreamDigestMismatch,
            () => Flip(tree, MirrorTree.CoveragePath("stable", Fixtures.BuildId[..2])));
    }

    [Fact]
    public async Task Import_TamperedIndex_RefusedBySignatureNothingStored()
    {
        var tree = await TreeAsync();

        var problem = await RefusedAsync(tree, () => Flip(tree, MirrorTree.IndexPath, fromEnd: 200));

        Assert.Equal(ErrorCategory.Refused, problem.Error.Category);
        Assert.StartsWith("cms-", problem.Code, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_TruncatedBlob_RefusedNothingStored()
    {
        var tree = await TreeAsync();
        var blob = Path.Combine(tree, MirrorTree.BlobPath(_published!.Sha256));

        await AssertRefusedAsync(tree, ProblemCodes.UpstreamDigestMismatch, () => File.WriteAllBytes(blob, File.ReadAllBytes(blob)[..^100]));
    }

    [Fact]
    public async Task Import_MissingBlob_RefusedNothingStored()
    {
        var tree = await TreeAsync();

        await AssertRefusedAsync(tree, ProblemCodes.UpstreamFileMissing, () => File.Delete(Path.Combine(tree, MirrorTree.BlobPath(_published!.Sha256))));
    }

    [Fact]
    public async Task Import_OlderVendorIndex_RefusedAsRollback()
    {
        var old = await TreeAsync();
        await _servers.PublishAsync("lp_sample.rsa2048-sha256.ko", Fixtures.OtherBuildId);
        await _servers.SyncOkAsync();

        await AssertRefusedAsync(old, ProblemCodes.UpstreamRollback, () => { });
    }

    [Fact]
    public async Task Sync_VendorRootNotPinnedBySite_RefusedAsUntrusted()
    {
        var otherRoot = Path.Combine(Path.GetTempPath(), $"lpatch-other-root-{Environment.ProcessId}-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(otherRoot, TestPki.Instance.RootPem());
        using var servers = new SiteAndVendor(vendorRoot: otherRoot);
        await servers.PublishAsync();
        var before = await servers.SiteStateAsync();

        var response = await servers.SyncAsync();

        Assert.Equal(422, (int)response.StatusCode);
        Assert.Contains(ErrorCodes.SignerUntrusted.Code, await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await servers.SiteStateAsync());
        File.Delete(otherRoot);
    }

    private PatchInfo? _published;

    private async Task<string> TreeAsync()
    {
        _published = await _servers.PublishAsync();
        var tree = await _servers.CopyVendorTreeAsync();
        _trees.Add(tree);
        return tree;
    }

    private async Task AssertRefusedAsync(string tree, ErrorCode expected, Action tamper) =>
        Assert.Equal(expected, (await RefusedAsync(tree, tamper)).Error);

    private async Task<Publishing.RepositoryProblem> RefusedAsync(string tree, Action tamper)
    {
        tamper();
        var before = await _servers.SiteStateAsync();

        var outcome = await _servers.ImportAsync(tree);

        Assert.Null(outcome.Value);
        Assert.Equal(before, await _servers.SiteStateAsync());
        return outcome.Problem!;
    }

    private static void Flip(string tree, string path, int fromEnd = 1)
    {
        var file = Path.Combine(tree, path);
        var bytes = File.ReadAllBytes(file);
        bytes[^fromEnd] ^= 0x01;
        File.WriteAllBytes(file, bytes);
    }
}
