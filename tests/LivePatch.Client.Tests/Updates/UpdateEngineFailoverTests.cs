using System.Diagnostics;
using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Tests.Updates;

/// <summary>Retries and failover: a repository that is down, failing, slow or hostile makes the host use the next one,
/// transient errors are retried a bounded number of times, and a definite answer is not.</summary>
public sealed class UpdateEngineFailoverTests(SimulatorPki pki) : IClassFixture<SimulatorPki>, IAsyncLifetime
{
    private RepositorySimulator _first = null!;
    private RepositorySimulator _second = null!;

    public async Task InitializeAsync()
    {
        _first = await RepositorySimulator.StartAsync(pki);
        _second = await RepositorySimulator.StartAsync(pki);
        foreach (var mirror in new[] { _first, _second })
        {
            mirror.Publish(ModuleFixtures.Signed, level: 1); // the same repository content behind two URLs
        }
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Fact]
    public async Task Apply_FirstRepositoryRefusesConnections_SecondUsed()
    {
        using var host = new TestHost(pki, LoopbackPorts.RefusingUrl(), _second.Url);

        var result = await host.ApplyAsync();

        AssertAppliedFrom(_second, result, host);
        Assert.Equal(ErrorCategory.Unreachable, Assert.Single(result.Attempts).Category);
    }

    [Fact]
    public async Task Apply_FirstRepositoryAnswers503_RetriedThenSecondUsed()
    {
        using var host = new TestHost(pki, _first.Url, _second.Url);
        _first.Fail(503);

        var result = await host.ApplyAsync();

        AssertAppliedFrom(_second, result, host);
        Assert.Equal(1 + host.Options.Retries, _first.ManifestRequests);
        Assert.Equal(0, _first.BlobRequests);
    }

    [Fact]
    public async Task Apply_FirstRepositoryServesTamperedManifest_SecondUsed()
    {
        using var host = new TestHost(pki, _first.Url, _second.Url);
        _first.ManifestAttack = ManifestAttack.Tamper;

        var result = await host.ApplyAsync();

        AssertAppliedFrom(_second, result, host);
        Assert.Equal(ErrorCategory.Refused, Assert.Single(result.Attempts).Category);
    }

    [Fact]
    public async Task Apply_FirstRepositorySlowerThanRequestTimeout_SecondUsed()
    {
        using var host = new TestHost(pki, _first.Url, _second.Url);
        host.Options.RequestTimeout = TimeSpan.FromSeconds(1);
        _first.Delay = TimeSpan.FromSeconds(20);
        var clock = Stopwatch.StartNew();

        var result = await host.ApplyAsync();

        AssertAppliedFrom(_second, result, host);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Apply_AllRepositoriesDown_FailsUnreachableWithNothingChanged()
    {
        using var host = new TestHost(pki, LoopbackPorts.RefusingUrl(), _second.Url);
        _second.Fail(503);
        var before = host.Snapshot();

        var result = await host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Unreachable, ClientErrorCodes.RepositoryUnreachable);
        Assert.Equal(2, result.Attempts.Count);
        HostAssert.NothingChanged(before, host);
    }

    [Fact]
    public async Task Check_ServerErrorOnce_RetriedAndSucceeds()
    {
        using var host = new TestHost(pki, _first.Url);
        _first.Fail(500, times: 1);

        var result = await host.CheckAsync();

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal([500, 200], _first.Requests.Where(r => r.Path.StartsWith("/v1/manifests/", StringComparison.Ordinal)).Select(r => r.Status));
    }

    [Fact]
    public async Task Check_NotFound_NotRetried()
    {
        using var host = new TestHost(pki, _first.Url);
        _first.Fail(404); // a mirror without the manifest and without its coverage bin

        var result = await host.CheckAsync();

        HostAssert.Refused(result, ErrorCategory.Unreachable, ClientErrorCodes.CoverageNotFound);
        Assert.Equal((1, 1), (_first.ManifestRequests, _first.CoverageRequests));
    }

    [Fact]
    public async Task Apply_FirstRepositoryWithholdsManifest_RefusedThenSecondUsed()
    {
        using var host = new TestHost(pki, _first.Url, _second.Url);
        _first.WithholdManifest = true; // its bin, genuine, lists the kernel

        var result = await host.ApplyAsync();

        AssertAppliedFrom(_second, result, host);
        var withheld = Assert.Single(result.Attempts);
        Assert.Equal(ClientErrorCodes.ManifestWithheld.Code, withheld.Code);
        Assert.Equal(ErrorCategory.Refused, withheld.Category);
    }

    [Fact]
    public async Task Apply_OnlyRepositoryWithholdsManifest_RefusedWithheldExitOneNothingLoaded()
    {
        using var host = new TestHost(pki, _first.Url, LoopbackPorts.RefusingUrl());
        _first.WithholdManifest = true;
        var before = host.Snapshot();

        var result = await host.ApplyAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.ManifestWithheld); // outranks the one that was down
        Assert.Equal(1, ErrorCategories.ExitCode(result.Failure!.Category));
        Assert.Contains($"repository {RepositorySimulator.DefaultRepositoryId}", result.Failure.Message, StringComparison.Ordinal);
        Assert.Contains($"manifest version {_first.Version}", result.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(before.Staged, host.Snapshot().Staged);
        Assert.Empty(host.State.Applied);
        Assert.Null(host.State.NotCovered);
    }

    [Fact]
    public async Task Apply_DownloadBreaksOffAtManifestSource_FinishedFromOtherRepository()
    {
        using var host = new TestHost(pki, _first.Url, _second.Url);
        _first.DropBlobAfter = 100; // the manifest is fine, the module download from it breaks off

        var result = await host.ApplyAsync();

        HostAssert.Applied(result);
        Assert.Equal(ModuleFixtures.Signed.Bytes, host.StagedOrNull("lp_sample"));
        Assert.Equal((1, 1), (_first.BlobRequests, _second.BlobRequests));
        Assert.Equal("bytes=100-", _second.Requests.Single(r => r.Path.StartsWith("/v1/blobs/", StringComparison.Ordinal)).Range);
    }

    private static void AssertAppliedFrom(RepositorySimulator source, UpdateResult result, TestHost host)
    {
        HostAssert.Applied(result);
        Assert.Equal(source.Url.ToString(), result.Plan!.Source.Repository);
        Assert.Equal(ModuleFixtures.Signed.Bytes, host.StagedOrNull("lp_sample"));
    }
}
