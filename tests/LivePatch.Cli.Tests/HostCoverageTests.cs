using System.Text.Json;
using System.Text.Json.Nodes;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Cli.Tests;

/// <summary>What lpatch prints and exits with when a repository answers the manifest with 404 and its signed coverage bin
/// decides: not covered (exit 0, one line, kept for status) or a withheld manifest (exit 1).</summary>
public sealed class HostCoverageTests : IAsyncLifetime
{
    private const string Repository = "lp-test";
    private static readonly string Prefix = HostSandbox.BuildId[..2];

    private readonly HostSandbox _host = new() { Clock = TestPki.Clock() };
    private FakeRepository _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeRepository.StartAsync();
        var root = _host.File("root.pem");
        File.WriteAllText(root, TestPki.Instance.RootPem());
        _host.Config["trustedRoots"] = new JsonArray(root);
        _host.Config["repositories"] = new JsonArray(_server.Url.ToString());
        _host.WriteConfig();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _host.Dispose();
    }

    [Fact]
    public void Check_KernelNotCovered_ExitsZeroWithOneLineAndStatusShowsIt()
    {
        ServeNotFoundThenBin(listsKernel: false);

        var run = _host.Run("check");

        Assert.Equal(0, run.Exit);
        Assert.Equal($"not-covered: repository {Repository} has no live patches for kernel 6.1.0-test-amd64 ({HostSandbox.BuildId}) " +
            $"in channel stable, as of 2026-03-01 11:00:00Z (coverage bin {Prefix} version 3)", run.Output.TrimEnd());
        Assert.Equal("", run.Error);
        Assert.Equal([$"/v1/manifests/stable/{HostSandbox.BuildId}", $"/v1/coverage/stable/{Prefix}"], _server.Requests.Select(r => r.Path));

        var status = _host.Run("status");

        Assert.Equal(0, status.Exit);
        Assert.Equal($"not covered: repository {Repository} has no live patches for kernel 6.1.0-test-amd64 ({HostSandbox.BuildId}) " +
            $"in channel stable, as of 2026-03-01 11:00:00Z (coverage bin {Prefix} version 3), checked 2026-03-01 12:00:00Z", status.Field("coverage"));
    }

    [Fact]
    public void Apply_KernelNotCoveredJson_ActionNotCoveredExitZeroAndStatusJsonHasIt()
    {
        ServeNotFoundThenBin(listsKernel: false);

        var run = _host.Run("apply", "--json");

        Assert.Equal(0, run.Exit);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal("not-covered", json.RootElement.GetProperty("action").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("exitCode").GetInt32());
        Assert.Equal(3UL, json.RootElement.GetProperty("notCovered").GetProperty("binVersion").GetUInt64());
        Assert.Empty(Directory.EnumerateFiles(_host.StageDirectory));

        using var status = JsonDocument.Parse(_host.Run("status", "--json").Output);
        var notCovered = status.RootElement.GetProperty("notCovered");
        Assert.Equal((Repository, "stable", HostSandbox.BuildId, true), (notCovered.GetProperty("repository").GetString(),
            notCovered.GetProperty("channel").GetString(), notCovered.GetProperty("buildId").GetString(), notCovered.GetProperty("runningKernel").GetBoolean()));
    }

    [Fact]
    public void Apply_ManifestWithheld_ExitsOneWithCode()
    {
        ServeNotFoundThenBin(listsKernel: true);

        var run = _host.Run("apply");

        Assert.Equal(1, run.Exit);
        Assert.Contains("lpatch: error [manifest-withheld]: ", run.Error, StringComparison.Ordinal);
        Assert.Contains($"repository {Repository}", run.Error, StringComparison.Ordinal);
        Assert.Equal("", run.Output);
        Assert.Null(_host.Run("status").Field("coverage"));
    }

    /// <summary>The manifest answered with a bare 404 (a static mirror), then a bin of the kernel's prefix signed under the test root.</summary>
    private void ServeNotFoundThenBin(bool listsKernel)
    {
        var bin = new CoverageBin
        {
            Schema = CoverageBin.CurrentSchema,
            Repository = Repository,
            Channel = "stable",
            Prefix = Prefix,
            Version = 3,
            Issued = TestPki.Now.AddHours(-1),
            Expires = TestPki.Now.AddDays(7),
            Kernels = listsKernel ? [new CoveredKernel { BuildId = HostSandbox.BuildId, Version = 2, Sha256 = new string('a', 64), Size = 900 }] : [],
        };
        var signed = SignedContent.Sign(CoverageBinSerializer.Serialize(bin), LivePatchOids.CoverageBinContentType,
            [TestPki.Instance.ManifestSigner], TestPki.Now);
        _server.Reply(404).Reply(200, signed, "application/pkcs7-mime");
    }
}
