namespace LivePatch.Cli.Tests;

public sealed class ModuleCommandsTests
{
    [Theory]
    [InlineData("lp_sample.rsa2048-sha256.ko")]
    [InlineData("lp_sample.rsa4096-sha512.ko")]
    [InlineData("lp_sample.ecdsa-p384-sha384.ko")]
    public void Info_SignedModule_ReportsWhatModinfoReports(string file)
    {
        var run = Lpatch.Run("module", "info", FixtureFiles.PathOf("modules", file));

        Assert.Equal(0, run.Exit);
        foreach (var key in new[] { "name", "livepatch", "license", "signer", "sig_key", "sig_hashalgo" })
        {
            Assert.Equal(FixtureFiles.Modinfo(file, key), run.Field(key));
        }

        Assert.Equal(FixtureFiles.ReadelfBuildId("modules", file), run.Field("build_id"));
    }

    [Fact]
    public void Info_Json_IsParseableAndCarriesModinfo()
    {
        var run = Lpatch.Run("module", "info", "--json", FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko.xz"));

        Assert.Equal(0, run.Exit);
        using var json = System.Text.Json.JsonDocument.Parse(run.Output);
        Assert.Equal("xz", json.RootElement.GetProperty("compression").GetString());
        Assert.Equal("Y", json.RootElement.GetProperty("modinfo").GetProperty("livepatch")[0].GetString());
        Assert.Equal(FixtureFiles.Modinfo("lp_sample.rsa2048-sha256.ko", "sig_key"), json.RootElement.GetProperty("sig_key").GetString());
    }

    [Fact]
    public void Info_AmplificationModule_ExitsTwoWithElfMalformed()
    {
        // 16,000 section headers naming one 2 MiB string: once 62 GiB of names, now a format error.
        var run = Lpatch.Run("module", "info", FixtureFiles.PathOf("amplification", "elf-names.ko.gz"));

        Assert.Equal(2, run.Exit);
        Assert.Contains("elf-malformed", run.Error);
    }

    [Fact]
    public void Sign_WithSignFileKey_WritesSameBytesAsSignFile()
    {
        using var dir = new TempDirectory();
        var output = dir.File("signed.ko");

        var run = Lpatch.Run("module", "sign", FixtureFiles.PathOf("modules", "lp_sample.ko"),
            "--key", FixtureFiles.PathOf("keys", "rsa4096.key"), "--cert", FixtureFiles.PathOf("keys", "rsa4096.pem"),
            "--hash", "sha512", "--out", output);

        Assert.Equal(0, run.Exit);
        Assert.Equal(File.ReadAllBytes(FixtureFiles.PathOf("modules", "lp_sample.rsa4096-sha512.ko")), File.ReadAllBytes(output));
    }

    [Fact]
    public void Sign_AlreadySigned_RefusesAndLeavesNoOutput()
    {
        using var dir = new TempDirectory();
        var output = dir.File("signed.ko");

        var run = Lpatch.Run("module", "sign", FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"),
            "--key", FixtureFiles.PathOf("keys", "rsa2048.key"), "--cert", FixtureFiles.PathOf("keys", "rsa2048.pem"), "--out", output);

        Assert.Equal(2, run.Exit);
        Assert.Contains("--replace", run.Error);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Sign_UnsupportedHash_ExitsWithUsageError()
    {
        var run = Lpatch.Run("module", "sign", FixtureFiles.PathOf("modules", "lp_sample.ko"),
            "--key", FixtureFiles.PathOf("keys", "rsa2048.key"), "--cert", FixtureFiles.PathOf("keys", "rsa2048.pem"), "--hash", "sha1");

        Assert.Equal(2, run.Exit);
    }

    [Theory]
    [InlineData("lp_sample.rsa2048-sha256.ko", "rsa2048.pem")]
    [InlineData("lp_sample.rsa2048-sha256.ko.zst", "rsa2048.pem")]
    [InlineData("lp_sample.rsa2048-sha256-skid.ko", "rsa2048.pem")]
    [InlineData("lp_sample.ecdsa-p384-sha384.ko", "ecdsa-p384.pem")]
    public void Verify_SignFileModule_ExitsZero(string module, string cert)
    {
        var run = Lpatch.Run("module", "verify", FixtureFiles.PathOf("modules", module), "--keyring", FixtureFiles.PathOf("keys", cert));

        Assert.Equal(0, run.Exit);
        Assert.Contains("valid", run.Output);
    }

    [Theory]
    [InlineData("lp_sample.other-sha256.ko", "rsa2048.pem")]
    [InlineData("lp_sample.rsa2048-sha1.ko", "rsa2048.pem")]
    [InlineData("lp_sample.ko", "rsa2048.pem")]
    public void Verify_Refused_ExitsOneWithReason(string module, string cert)
    {
        var run = Lpatch.Run("module", "verify", FixtureFiles.PathOf("modules", module), "--keyring", FixtureFiles.PathOf("keys", cert));

        Assert.Equal(1, run.Exit);
        Assert.Contains("refused [", run.Error);
    }

    [Fact]
    public void Verify_TamperedBody_ExitsOne()
    {
        using var dir = new TempDirectory();
        var bytes = File.ReadAllBytes(FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"));
        bytes[100] ^= 1;
        File.WriteAllBytes(dir.File("tampered.ko"), bytes);

        var run = Lpatch.Run("module", "verify", dir.File("tampered.ko"), "--keyring", FixtureFiles.PathOf("keys", "rsa2048.pem"));

        Assert.Equal(1, run.Exit);
    }

    [Fact]
    public void Verify_KeyringDirectory_FindsSignerAmongSeveral()
    {
        var run = Lpatch.Run("module", "verify", FixtureFiles.PathOf("modules", "lp_sample.rsa4096-sha512.ko"), "--keyring", FixtureFiles.PathOf("keys"));

        Assert.Equal(0, run.Exit);
    }

    [Fact]
    public void Verify_UnreadableInput_ExitsTwo()
    {
        var run = Lpatch.Run("module", "verify", "/nonexistent.ko", "--keyring", FixtureFiles.PathOf("keys", "rsa2048.pem"));

        Assert.Equal(2, run.Exit);
    }
}
