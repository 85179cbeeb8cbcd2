using System.Net;
using System.Text.Json;

namespace LivePatch.EndToEnd.Tests;

/// <summary>A host behind a real server process in the mirror mode (LivePatch:Mode=mirror, Production, no keys) over a tree
/// copied from a real repository server: an apply for the covered kernel, a verified "not covered" for another.</summary>
public sealed class MirrorModeEndToEndTests : IDisposable
{
    private const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9"; // of fixtures/notes/sys-kernel-notes.bin
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-mirror-mode-e2e-").FullName;
    private readonly string _tree;
    private readonly ServerProcess _repository;
    private readonly ServerProcess _mirror;

    public MirrorModeEndToEndTests()
    {
        _tree = Directory.CreateDirectory(Path.Combine(_root, "tree")).FullName;
        _repository = new ServerProcess(Path.Combine(_root, "repository"), new Dictionary<string, string>
        {
            ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
        });
        _mirror = new ServerProcess(Path.Combine(_root, "mirror-data"), new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["LivePatch__Mode"] = "mirror",
            ["LivePatch__MirrorDirectory"] = _tree,
        });
    }

    public void Dispose()
    {
        _mirror.Dispose();
        _repository.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task HostBehindMirrorMode_CoveredAppliedUncoveredNotCovered()
    {
        await _repository.StartAsync();
        var publish = Lpatch.Run(new Dictionary<string, string> { ["LPATCH_SERVER"] = _repository.Url, ["LPATCH_API_KEY"] = _repository.AdminKey },
            "publish", FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"), "--build-id", BuildId);
        Assert.True(publish.Exit == 0, publish.ToString());
        using (var http = new HttpClient { BaseAddress = new Uri(_repository.Url) })
        {
            await ReadTreeCopy.CopyAsync(http, _tree, new Core.Trust.TrustPolicy { Roots = Core.Trust.TrustPolicy.LoadRoots([_repository.Keys("root.pem")]) });
        }

        _repository.Stop(); // the host reaches only the mirror
        await _mirror.StartAsync();
        var stage = Path.Combine(_root, "stage");
        var config = HostConfig.Write(_root, [_mirror.Url], _repository.Keys("root.pem"), new { kind = "stage", stageDirectory = stage });

        var apply = Lpatch.Run("apply", "--config", config);

        Assert.True(apply.Exit == 0, apply.ToString());
        Assert.Equal(File.ReadAllBytes(FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko")), File.ReadAllBytes(Path.Combine(stage, "lp_sample.ko")));

        // Another kernel (its notes name another build ID), not in the tree: the mirror answers kernel-not-covered and the
        // signed bin proves it.
        var otherNotes = Path.Combine(_root, "other-notes.bin");
        var notes = File.ReadAllBytes(FixtureFiles.PathOf("notes", "sys-kernel-notes.bin"));
        var at = notes.AsSpan().IndexOf(Convert.FromHexString(BuildId));
        notes[at + 1] ^= 0x55; // same bin (first byte kept), another kernel
        File.WriteAllBytes(otherNotes, notes);
        var other = Path.Combine(_root, "other");
        Directory.CreateDirectory(other);
        var otherConfig = WithNotes(HostConfig.Write(other, [_mirror.Url], _repository.Keys("root.pem"), new { kind = "stage", stageDirectory = Path.Combine(other, "stage") }), otherNotes);

        var check = Lpatch.Run("check", "--config", otherConfig, "--json");

        Assert.True(check.Exit == 0, check.ToString());
        using (var json = JsonDocument.Parse(check.Output))
        {
            Assert.Equal("not-covered", json.RootElement.GetProperty("action").GetString());
        }

        // Read-only: a publish to the mirror is refused, and the mirror made no data folder of its own.
        var refused = Lpatch.Run(new Dictionary<string, string> { ["LPATCH_SERVER"] = _mirror.Url, ["LPATCH_API_KEY"] = "lpk_x_y" },
            "publish", FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"), "--build-id", BuildId);
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("not-found", refused.Output + refused.Error);
        Assert.False(Directory.Exists(_mirror.DataDirectory));
        using var mirrorHttp = new HttpClient();
        Assert.Equal(HttpStatusCode.NotFound, (await mirrorHttp.GetAsync($"{_mirror.Url}/v1/kernels")).StatusCode);
    }

    /// <summary>The same client.json with another kernel notes file.</summary>
    private static string WithNotes(string config, string notes)
    {
        var json = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(config))!;
        var edited = json.ToDictionary(p => p.Key, p => (object)p.Value);
        edited["kernelNotesPath"] = notes;
        File.WriteAllText(config, JsonSerializer.Serialize(edited));
        return config;
    }
}
