using System.Diagnostics;
using System.Text.Json;
using LivePatch.Core.Manifests;

namespace LivePatch.Cli.Tests;

/// <summary>Two development key sets made once for the class: the trusted one and an attacker's.</summary>
public sealed class KeySetsFixture : IDisposable
{
    private readonly TempDirectory _dir = new();

    public KeySetsFixture()
    {
        Assert.Equal(0, Lpatch.Run("keys", "init", "--out", Trusted).Exit);
        Assert.Equal(0, Lpatch.Run("keys", "init", "--out", Attacker).Exit);
    }

    public string Trusted => _dir.File("trusted");

    public string Attacker => _dir.File("attacker");

    public void Dispose() => _dir.Dispose();
}

public sealed class ManifestCommandsTests(KeySetsFixture keys) : IClassFixture<KeySetsFixture>
{
    [Fact]
    public void SignThenVerify_TrustedRoot_PrintsManifest()
    {
        using var dir = new TempDirectory();
        var signed = Sign(dir, keys.Trusted, Sample(DateTimeOffset.UtcNow.AddDays(7)));

        var run = Lpatch.Run("manifest", "verify", signed, "--root", Path.Combine(keys.Trusted, "root.pem"));

        Assert.Equal(0, run.Exit);
        Assert.Equal(Sample(DateTimeOffset.UtcNow).BuildId, run.Field("build id"));
        Assert.Contains("lp_sample level 2", run.Output);
    }

    [Fact]
    public void Verify_Json_RoundTripsTheSignedManifest()
    {
        using var dir = new TempDirectory();
        var manifest = Sample(DateTimeOffset.UtcNow.AddDays(7));
        var signed = Sign(dir, keys.Trusted, manifest);

        var run = Lpatch.Run("manifest", "verify", signed, "--root", Path.Combine(keys.Trusted, "root.pem"), "--json");

        Assert.Equal(0, run.Exit);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(manifest.Version, json.RootElement.GetProperty("version").GetUInt64());
        Assert.Equal(manifest.Patches[0].Sha256, json.RootElement.GetProperty("patches")[0].GetProperty("sha256").GetString());
    }

    [Fact]
    public void Sign_Output_IsAcceptedByOpensslCms()
    {
        using var dir = new TempDirectory();
        var signed = Sign(dir, keys.Trusted, Sample(DateTimeOffset.UtcNow.AddDays(7)));
        if (!File.Exists("/usr/bin/openssl"))
        {
            Assert.Fail("openssl is required for this interop test (.ci/run installs it)");
        }

        var openssl = Process.Start(new ProcessStartInfo("openssl",
            ["cms", "-verify", "-inform", "DER", "-in", signed, "-CAfile", Path.Combine(keys.Trusted, "root.pem"), "-purpose", "any", "-out", dir.File("content.json")])
        { RedirectStandardError = true })!;
        openssl.WaitForExit();

        Assert.Equal(0, openssl.ExitCode);
        Assert.Equal(File.ReadAllBytes(dir.File("manifest.json")), File.ReadAllBytes(dir.File("content.json")));
    }

    [Fact]
    public void Verify_OtherRoot_RefusedAsUntrusted()
    {
        using var dir = new TempDirectory();
        var signed = Sign(dir, keys.Attacker, Sample(DateTimeOffset.UtcNow.AddDays(7)));

        var run = Lpatch.Run("manifest", "verify", signed, "--root", Path.Combine(keys.Trusted, "root.pem"));

        Assert.Equal(1, run.Exit);
        Assert.Contains("[signer-untrusted]", run.Error);
    }

    [Fact]
    public void Verify_Expired_RefusedAsExpired()
    {
        using var dir = new TempDirectory();
        var signed = Sign(dir, keys.Trusted, Sample(DateTimeOffset.UtcNow.AddMinutes(-1)));

        var run = Lpatch.Run("manifest", "verify", signed, "--root", Path.Combine(keys.Trusted, "root.pem"));

        Assert.Equal(1, run.Exit);
        Assert.Contains("[manifest-expired]", run.Error);
    }

    [Fact]
    public void Verify_TamperedContent_Refused()
    {
        using var dir = new TempDirectory();
        var signed = Sign(dir, keys.Trusted, Sample(DateTimeOffset.UtcNow.AddDays(7)));
        var bytes = File.ReadAllBytes(signed);
        var at = bytes.AsSpan().IndexOf("lp_sample"u8);
        bytes[at] = (byte)'X';
        File.WriteAllBytes(signed, bytes);

        var run = Lpatch.Run("manifest", "verify", signed, "--root", Path.Combine(keys.Trusted, "root.pem"));

        Assert.Equal(1, run.Exit);
    }

    [Fact]
    public void Sign_InvalidManifestJson_RefusedWithoutOutput()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("bad.json"), """{"schema": 1, "channel": "stable"}""");

        var run = Lpatch.Run("manifest", "sign", dir.File("bad.json"), "--key", Path.Combine(keys.Trusted, "manifest-signing.key"),
            "--cert", Path.Combine(keys.Trusted, "manifest-signing.pem"), "--out", dir.File("out.cms"));

        Assert.Equal(2, run.Exit);
        Assert.Contains("[manifest-malformed]", run.Error);
        Assert.False(File.Exists(dir.File("out.cms")));
    }

    private static string Sign(TempDirectory dir, string keySet, Manifest manifest)
    {
        File.WriteAllBytes(dir.File("manifest.json"), ManifestSerializer.Serialize(manifest));
        var run = Lpatch.Run("manifest", "sign", dir.File("manifest.json"), "--key", Path.Combine(keySet, "manifest-signing.key"),
            "--cert", Path.Combine(keySet, "manifest-signing.pem"), "--out", dir.File("manifest.cms"));
        Assert.True(run.Exit == 0, run.Error);
        return dir.File("manifest.cms");
    }

    private static Manifest Sample(DateTimeOffset expires) => new()
    {
        Schema = Manifest.CurrentSchema,
        Repository = "test",
        Channel = "stable",
        BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9",
        KernelRelease = "6.1.0-56-amd64",
        Version = 7,
        Issued = expires.AddDays(-7) < DateTimeOffset.UtcNow ? expires.AddDays(-7) : DateTimeOffset.UtcNow.AddMinutes(-2),
        Expires = expires,
        Patches =
        [
            new ManifestPatch
            {
                Name = "lp_sample", Level = 2, Sha256 = new string('a', 64), Size = 7382, Signer = "67:7F",
                Replace = true, Published = DateTimeOffset.UtcNow.AddDays(-1), Cves = ["CVE-2026-0001"],
            },
        ],
    };
}
