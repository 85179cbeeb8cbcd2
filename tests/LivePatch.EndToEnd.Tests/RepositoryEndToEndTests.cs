using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;

namespace LivePatch.EndToEnd.Tests;

/// <summary>The real server process driven by the real lpatch process, checked with the kernel's and OpenSSL's tools.</summary>
public sealed class RepositoryEndToEndTests : IDisposable
{
    private const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9";
    private readonly string _data = Directory.CreateTempSubdirectory("lpatch-e2e-").FullName;
    private readonly ServerProcess _server;

    public RepositoryEndToEndTests() => _server = new ServerProcess(_data, new Dictionary<string, string>
    {
        ["LivePatch__Channels__0"] = "candidate",
        ["LivePatch__Channels__1"] = "stable",
        // Accept modules signed by the kernel's sign-file with the fixture key, as a vendor's keyring would.
        ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
    });

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task PublishPromoteRevokeRestart_WithSignFileModule()
    {
        await _server.StartAsync();
        var module = FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko");
        var env = new Dictionary<string, string> { ["LPATCH_SERVER"] = _server.Url };

        // An admin makes a publisher key; the publisher publishes to the first channel.
        var created = Ok(Lpatch.Run(env, "api-keys", "create", "vendor-ci", "--role", "publisher", "--api-key", _server.AdminKey));
        var publisherKey = created.Output.Split('\n').Single(l => l.StartsWith("secret: ", StringComparison.Ordinal))["secret: ".Length..].Trim();
        env["LPATCH_API_KEY"] = publisherKey;
        var published = Ok(Lpatch.Run(env, "publish", module, "--build-id", BuildId, "--cve", "CVE-2026-4242", "--severity", "high", "--json"));
        using var patch = JsonDocument.Parse(published.Output);
        var id = patch.RootElement.GetProperty("id").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sha256 = patch.RootElement.GetProperty("sha256").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(module))), sha256);

        // The manifest verifies with OpenSSL and with lpatch, and the blob is the module, byte for byte.
        var candidate = await SaveManifestAsync("candidate");
        Assert.Contains(sha256, OpensslVerify(candidate));
        Assert.Contains("lp_sample level 1", Ok(Lpatch.Run("manifest", "verify", candidate, "--root", _server.Keys("root.pem"))).Output);
        using var http = new HttpClient();
        Assert.Equal(File.ReadAllBytes(module), await http.GetByteArrayAsync($"{_server.Url}/v1/blobs/sha256/{sha256}"));
        // Not in stable yet: no manifest there, and stable's signed coverage bin (OpenSSL accepts it too) does not list it.
        using (var stable = await http.GetAsync($"{_server.Url}/v1/manifests/stable/{BuildId}"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, stable.StatusCode);
        }

        Assert.Contains("\"kernels\":[]", OpensslVerify(await SaveAsync($"coverage/stable/{BuildId[..2]}")));
        Assert.Contains(BuildId, OpensslVerify(await SaveAsync($"coverage/candidate/{BuildId[..2]}")));

        // Promote to stable, then revoke: the manifests follow.
        Ok(Lpatch.Run(env, "promote", id, "--channel", "stable"));
        Assert.Contains(sha256, OpensslVerify(await SaveManifestAsync("stable")));
        Ok(Lpatch.Run(env, "revoke", id, "--reason", "oops on AMD"));
        var revoked = Ok(Lpatch.Run("manifest", "verify", await SaveManifestAsync("stable"), "--root", _server.Keys("root.pem"), "--json"));
        using (var manifest = JsonDocument.Parse(revoked.Output))
        {
            Assert.Empty(manifest.RootElement.GetProperty("patches").EnumerateArray());
            Assert.Equal("oops on AMD", manifest.RootElement.GetProperty("revoked")[0].GetProperty("reason").GetString());
        }

        // A restart keeps everything: the same signed bytes, the patch, its state, the keys.
        var before = File.ReadAllBytes(await SaveManifestAsync("stable"));
        _server.Stop();
        await _server.StartAsync();
        Assert.Equal(before, File.ReadAllBytes(await SaveManifestAsync("stable")));
        var listed = Ok(Lpatch.Run(env, "patches", "list", "--build-id", BuildId, "--json"));
        using var list = JsonDocument.Parse(listed.Output);
        Assert.Equal("oops on AMD", list.RootElement[0].GetProperty("revoked").GetProperty("reason").GetString());
        Assert.Equal(1, Lpatch.Run(env, "publish", FixtureFiles.PathOf("modules", "lp_sample.other-sha256.ko"), "--build-id", BuildId).Exit);
    }

    [Fact]
    public async Task Publish_WithoutKeyOrUnsigned_RefusedWithReason()
    {
        await _server.StartAsync();
        var env = new Dictionary<string, string> { ["LPATCH_SERVER"] = _server.Url };

        var anonymous = Lpatch.Run(env, "publish", FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"), "--build-id", BuildId);
        env["LPATCH_API_KEY"] = _server.AdminKey;
        var unsigned = Lpatch.Run(env, "publish", FixtureFiles.PathOf("modules", "lp_sample.ko"), "--build-id", BuildId);

        Assert.Equal(2, anonymous.Exit);
        Assert.Contains("unauthenticated", anonymous.Error);
        Assert.Equal(1, unsigned.Exit); // signature-missing is Refused, locally as from the server
        Assert.Contains("signature-missing", unsigned.Error);
        Assert.Contains("\"kernels\":[]", OpensslVerify(await SaveAsync($"coverage/candidate/{BuildId[..2]}")));
    }

    [Fact]
    public async Task PublishBatch_ModulesForTwoKernelsInOneRequest_ThenAForgedOneRefusedAndNothingOfItsBatchStored()
    {
        await _server.StartAsync();
        const string other = "1f2e3d4c5b6a798897a6b5c4d3e2f1000f1e2d3c";
        var env = new Dictionary<string, string> { ["LPATCH_SERVER"] = _server.Url, ["LPATCH_API_KEY"] = _server.AdminKey };
        foreach (var fixture in new[] { "lp_sample.rsa2048-sha256.ko", "lp_sample.rsa2048-sha256-skid.ko", "lp_sample.other-sha256.ko" })
        {
            File.Copy(FixtureFiles.PathOf("modules", fixture), Path.Combine(_data, fixture));
        }

        var good = Path.Combine(_data, "batch.json");
        File.WriteAllText(good, $$"""
            {"patches": [
              {"module": "lp_sample.rsa2048-sha256.ko", "buildIds": ["{{BuildId}}"], "cves": ["CVE-2026-4242"]},
              {"module": "lp_sample.rsa2048-sha256-skid.ko", "buildIds": ["{{other}}"], "severity": "high"}
            ]}
            """);
        var published = Ok(Lpatch.Run(env, "publish-batch", good, "--json"));
        using var batch = JsonDocument.Parse(published.Output);
        var patches = batch.RootElement.GetProperty("patches");
        Assert.Equal(2, patches.GetArrayLength());

        // Each kernel's signed manifest (OpenSSL verifies it) names its own module; its coverage bin lists it.
        Assert.Contains(patches[0].GetProperty("sha256").GetString()!, OpensslVerify(await SaveAsync($"manifests/candidate/{BuildId}")));
        Assert.Contains(patches[1].GetProperty("sha256").GetString()!, OpensslVerify(await SaveAsync($"manifests/candidate/{other}")));
        Assert.Contains(other, OpensslVerify(await SaveAsync($"coverage/candidate/{other[..2]}")));

        // A batch with a module signed by a key outside the keyring: refused, naming it; its good patch is not stored either.
        var forged = Path.Combine(_data, "forged.json");
        File.WriteAllText(forged, $$"""
            {"patches": [
              {"module": "lp_sample.rsa2048-sha256.ko", "buildIds": ["{{other}}"]},
              {"module": "lp_sample.other-sha256.ko", "buildIds": ["{{BuildId}}"]}
            ]}
            """);
        var refused = Lpatch.Run(env, "publish-batch", forged);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("[signature-signer-unknown]: Patch 2 of the batch (module 'lp_sample.other-sha256.ko')", refused.Error);
        using var listed = JsonDocument.Parse(Ok(Lpatch.Run(env, "patches", "list", "--json")).Output);
        Assert.Equal(2, listed.RootElement.GetArrayLength());
    }

    private Task<string> SaveManifestAsync(string channel) => SaveAsync($"manifests/{channel}/{BuildId}");

    /// <summary>Saves a signed document of the read path (<c>/v1/…</c>) to a file for openssl and lpatch.</summary>
    private async Task<string> SaveAsync(string readPath)
    {
        using var http = new HttpClient();
        var path = Path.Combine(_data, readPath.Replace('/', '-') + ".cms");
        await File.WriteAllBytesAsync(path, await http.GetByteArrayAsync($"{_server.Url}/v1/{readPath}"));
        return path;
    }

    /// <summary>What <c>openssl cms -verify</c> prints as the verified content; fails the test if it refuses.</summary>
    private string OpensslVerify(string file)
    {
        var start = new ProcessStartInfo("openssl", ["cms", "-verify", "-inform", "DER", "-in", file, "-CAfile", _server.Keys("root.pem"), "-purpose", "any"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var openssl = Process.Start(start)!;
        var output = openssl.StandardOutput.ReadToEnd();
        var error = openssl.StandardError.ReadToEnd();
        openssl.WaitForExit();
        Assert.True(openssl.ExitCode == 0, $"openssl cms -verify refused {file}: {error}");
        return output;
    }

    private ProcessRun Ok(ProcessRun run)
    {
        Assert.True(run.Exit == 0, $"{run}\nserver log:\n{_server.Log}");
        return run;
    }
}
