using System.Text.Json;
using static LivePatch.EndToEnd.Tests.MirrorFixture;

namespace LivePatch.EndToEnd.Tests;

/// <summary>The air gap with real processes: <c>lpatch mirror export</c> from a real server, <c>lpatch mirror import</c> into a
/// folder and into a site repository process, and what a damaged or foreign bundle leaves behind (nothing).</summary>
public sealed class BundleEndToEndTests : IDisposable
{
    private const string Third = "4b00000000000000000000000000000000000003"; // another bin
    private readonly MirrorFixture _fixture = new();
    private ServerProcess? _site;

    public void Dispose()
    {
        _site?.Dispose();
        _fixture.Dispose();
    }

    [Fact]
    public async Task Import_FullThenIncremental_IsByteIdenticalToAFullSync()
    {
        await _fixture.Server.StartAsync();
        _fixture.Publish(Neighbour);
        var full = Path.Combine(_fixture.Root, "full.tar.zst");
        var first = JsonDocument.Parse(Run("mirror", "export", "--from", _fixture.Server.Url, "--out", full, "--root", Root, "--json").Output);
        var version = first.RootElement.GetProperty("indexVersion").GetUInt64();

        _fixture.Publish(BuildId, Third);
        var since = Path.Combine(_fixture.Root, "since.tar.zst");
        var incremental = Run("mirror", "export", "--from", _fixture.Server.Url, "--out", since, "--root", Root, "--since", $"{version}");
        Assert.Contains($"(what changed since {version})", incremental.Output); // not "(new copy)": the bundle holds only that
        var imported = Path.Combine(_fixture.Root, "imported");
        Run("mirror", "import", full, "--to", imported, "--root", Root);
        Run("mirror", "import", since, "--to", imported, "--root", Root);
        var synced = Path.Combine(_fixture.Root, "synced");
        Assert.Equal(0, _fixture.Sync(synced).Exit);

        Assert.True(new FileInfo(since).Length < new FileInfo(full).Length, $"incremental {new FileInfo(since).Length} B, full {new FileInfo(full).Length} B");
        Assert.True(MirrorTrees.Same(MirrorTrees.Snapshot(synced), MirrorTrees.Snapshot(imported)));
    }

    [Fact]
    public async Task Import_DamagedCutOrTamperedBundle_IsRefusedAndTheFolderStaysAsItWas()
    {
        await _fixture.Server.StartAsync();
        _fixture.Publish(Neighbour);
        var folder = Path.Combine(_fixture.Root, "mirror");
        Assert.Equal(0, _fixture.Sync(folder).Exit);
        _fixture.Publish(BuildId);
        var bundle = Path.Combine(_fixture.Root, "b.tar.zst");
        Run("mirror", "export", "--from", _fixture.Server.Url, "--out", bundle, "--root", Root);
        var before = MirrorTrees.Snapshot(folder);
        var bytes = File.ReadAllBytes(bundle);

        var cut = Write("cut.tar.zst", bytes[..(bytes.Length / 2)]);
        var flipped = bytes.ToArray();
        flipped[bytes.Length / 2] ^= 0x5a;
        var damaged = Write("damaged.tar.zst", flipped);
        var tampered = await TamperedAsync(bundle);

        foreach (var (file, codes) in new[] { (cut, "bundle-corrupt|bundle-index-missing"), (damaged, "bundle-corrupt|bundle-entry-invalid|mirror-blob-mismatch|mirror-document-mismatch"), (tampered, "mirror-document-mismatch") })
        {
            var run = Lpatch.Run("mirror", "import", file, "--to", folder, "--root", Root);
            Assert.True(run.Exit is 1 or 2, run.ToString());
            Assert.Matches($"error \\[({codes})", run.Error);
            Assert.True(MirrorTrees.Same(before, MirrorTrees.Snapshot(folder)), file);
        }
    }

    [Fact]
    public async Task ImportIntoSite_HostAppliesThenRemovesAfterTheVendorRevokes_AndAForeignBundleIsRefused()
    {
        await _fixture.Server.StartAsync();
        _site = new ServerProcess(Path.Combine(_fixture.Root, "site"), new Dictionary<string, string>
        {
            ["LivePatch__RepositoryId"] = "site",
            ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
            ["LivePatch__Upstream__Roots__0"] = Root,
        });
        await _site.StartAsync();
        _fixture.Publish(BuildId);
        var bundle = Path.Combine(_fixture.Root, "vendor.tar.zst");
        Run("mirror", "export", "--from", _fixture.Server.Url, "--out", bundle, "--root", Root);
        var stage = Path.Combine(_fixture.Root, "stage");
        var config = HostConfig.Write(_fixture.Root, [_site.Url], _site.Keys("root.pem"), new { kind = "stage", stageDirectory = stage });

        Assert.Contains("1 imported", Run(Site(), "mirror", "import", bundle).Output);
        Run("apply", "--config", config);
        Assert.Equal(FixtureFiles.Module("lp_sample.rsa2048-sha256.ko"), File.ReadAllBytes(Path.Combine(stage, "lp_sample.ko")));

        var patches = JsonDocument.Parse(Run(Vendor(), "patches", "list", "--json").Output).RootElement;
        Run(Vendor(), "revoke", patches[0].GetProperty("id").ToString(), "--reason", "breaks NFS");
        Run("mirror", "export", "--from", _fixture.Server.Url, "--out", bundle, "--root", Root);
        Assert.Contains("1 revoked", Run(Site(), "mirror", "import", bundle).Output);
        Run("apply", "--config", config);
        Assert.Empty(Directory.GetFiles(stage));

        // A bundle from a repository whose root the site does not pin: refused, nothing stored.
        using var other = new MirrorFixture();
        await other.Server.StartAsync();
        other.Publish(Third);
        var foreign = Path.Combine(_fixture.Root, "foreign.tar.zst");
        Run("mirror", "export", "--from", other.Server.Url, "--out", foreign, "--root", other.Server.Keys("root.pem"));
        var refused = Lpatch.Run(Site(), "mirror", "import", foreign);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("signer-untrusted", refused.Error + refused.Output);
        Assert.DoesNotContain(Third, Run(Site(), "kernels", "list", "--json").Output);
    }

    private string Root => _fixture.Server.Keys("root.pem");

    private Dictionary<string, string> Vendor() => new() { ["LPATCH_SERVER"] = _fixture.Server.Url, ["LPATCH_API_KEY"] = _fixture.Server.AdminKey };

    private Dictionary<string, string> Site() => new() { ["LPATCH_SERVER"] = _site!.Url, ["LPATCH_API_KEY"] = _site.AdminKey };

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_fixture.Root, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The bundle with one manifest's signed bytes changed (a byte of its signature), repacked as a well-formed bundle:
    /// what a hostile courier could make.</summary>
    private async Task<string> TamperedAsync(string bundle)
    {
        await using var input = File.OpenRead(bundle);
        using var unpacked = await Core.Mirrors.Bundles.UnpackedBundle.UnpackAsync(input, null, new(), null, CancellationToken.None);
        var manifest = Directory.EnumerateFiles(Path.Combine(unpacked.Folder, "v1", "manifests"), "*", SearchOption.AllDirectories).First();
        var signed = File.ReadAllBytes(manifest);
        signed[^10] ^= 0x01;
        File.WriteAllBytes(manifest, signed);
        var path = Path.Combine(_fixture.Root, "tampered.tar.zst");
        await using var writer = new Core.Mirrors.Bundles.BundleWriter(path);
        foreach (var file in Directory.EnumerateFiles(unpacked.Folder, "*", SearchOption.AllDirectories).OrderBy(f => f.EndsWith("index", StringComparison.Ordinal)))
        {
            await using var content = File.OpenRead(file);
            await writer.WriteAsync(Path.GetRelativePath(unpacked.Folder, file), content, content.Length, CancellationToken.None);
        }

        await writer.CompleteAsync(CancellationToken.None);
        return path;
    }

    private static ProcessRun Run(params string[] args) => Run(new Dictionary<string, string>(), args);

    private static ProcessRun Run(Dictionary<string, string> env, params string[] args)
    {
        var run = Lpatch.Run(env, args);
        Assert.True(run.Exit == 0, $"lpatch {string.Join(' ', args)}: {run}");
        return run;
    }
}
