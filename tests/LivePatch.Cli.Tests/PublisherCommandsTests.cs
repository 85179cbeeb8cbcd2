using System.Text.Json;
using LivePatch.Cli.Commands;
using LivePatch.Testing;

namespace LivePatch.Cli.Tests;

public sealed class PublisherCommandsTests
{
    private const string ApiKey = "lpk_do_not_print";
    private const string SignedLivepatch = "lp_sample.rsa2048-sha256.ko";

    private static CliRun Run(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var repository = new RepositoryEnvironment
        {
            GetVariable = name => environment.GetValueOrDefault(name),
            RetryDelay = TimeSpan.FromMilliseconds(10),
        };
        var exit = LpatchCommand.Run(args, output, error, repository);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    private static CliRun Run(params string[] args) => Run(new Dictionary<string, string>(), args);

    private static string[] Publish(FakeRepository server, string module, params string[] more) =>
        ["publish", FixtureFiles.PathOf("modules", module), "--server", server.Url.ToString(), "--api-key", ApiKey, "--build-id", Canned.BuildId, .. more];

    [Fact]
    public async Task Publish_SignedLivepatch_UploadsFileAndEveryField()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(201, Canned.Patch());

        var run = Run(Publish(server, SignedLivepatch, "--build-id", Canned.OtherBuildId.ToUpperInvariant(), "--cve", "CVE-2024-1086",
            "--cve", "CVE-2024-26581", "--channel", "beta", "--level", "3", "--severity", "high", "--description", "nf_tables fix", "--no-replace"));

        Assert.Equal(ExitCodes.Success, run.Exit);
        Assert.StartsWith("published lp_sample level 3 (id 7)", run.Output, StringComparison.Ordinal);
        var request = Assert.Single(server.Requests);
        Assert.Equal("Bearer " + ApiKey, request.Authorization);
        Assert.Equal(File.ReadAllBytes(FixtureFiles.PathOf("modules", SignedLivepatch)), Assert.Single(request.Files).Bytes);
        Assert.Equal([Canned.BuildId, Canned.OtherBuildId], request.Form["buildId"]); // normalised to lowercase
        Assert.Equal(["CVE-2024-1086", "CVE-2024-26581"], request.Form["cve"]);
        Assert.Equal(["beta", "3", "false"], [.. request.Form["channel"], .. request.Form["level"], .. request.Form["replace"]]);
        Assert.DoesNotContain(ApiKey, run.Output + run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_ServerAndApiKeyFromEnvironment_Json()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(201, Canned.Patch());
        var environment = new Dictionary<string, string> { ["LPATCH_SERVER"] = server.Url.ToString(), ["LPATCH_API_KEY"] = ApiKey };

        var run = Run(environment, "publish", FixtureFiles.PathOf("modules", SignedLivepatch), "--build-id", Canned.BuildId, "--json");

        Assert.Equal(ExitCodes.Success, run.Exit);
        Assert.Equal(7, JsonDocument.Parse(run.Output).RootElement.GetProperty("id").GetInt32());
        Assert.Equal("Bearer " + ApiKey, Assert.Single(server.Requests).Authorization);
    }

    [Theory]
    [InlineData("lp_sample.ko", "signature-missing")]
    [InlineData("plain.rsa2048-sha256.ko", "module-not-livepatch")]
    public async Task Publish_UnpublishableModule_RefusedLocally_NothingSent(string module, string code)
    {
        await using var server = await FakeRepository.StartAsync();

        var run = Run(Publish(server, module));

        // Both are refusals (category Refused), the same exit code as when the server makes them.
        Assert.Equal(ExitCodes.VerificationRefused, run.Exit);
        Assert.StartsWith($"lpatch: error [{code}]:", run.Error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Publish_BadBuildId_RefusedLocally_NothingSent()
    {
        await using var server = await FakeRepository.StartAsync();

        var run = Run(Publish(server, SignedLivepatch, "--build-id", "xyz"));

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.StartsWith("lpatch: error [build-id-invalid]:", run.Error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Publish_ServerRefusesSignature_ExitsVerificationRefused()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(422, "signature-signer-unknown", "The module is signed by a key the repository does not trust.");

        var run = Run(Publish(server, SignedLivepatch));

        Assert.Equal(ExitCodes.VerificationRefused, run.Exit);
        Assert.Equal("lpatch: error [signature-signer-unknown]: The module is signed by a key the repository does not trust.", run.Error.Trim());
    }

    [Fact]
    public async Task Publish_ServerRefusesOtherInput_ExitsUsage()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(404, "unknown-channel", "No channel 'nightly'.");

        var run = Run(Publish(server, SignedLivepatch, "--channel", "nightly"));

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Contains("[unknown-channel]", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_Unauthorized_HintsAtApiKey_WithoutPrintingIt()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(401, "api-key-invalid", "The API key is not valid.");

        var run = Run(Publish(server, SignedLivepatch));

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Contains("--api-key", run.Error, StringComparison.Ordinal);
        Assert.Contains("LPATCH_API_KEY", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, run.Output + run.Error, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Publish_Duplicate_SaysItMayAlreadyBePublished()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(409, "duplicate-module", "This module is already published for kernel 0123.");

        var run = Run(Publish(server, SignedLivepatch));

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Contains("[duplicate-module]", run.Error, StringComparison.Ordinal);
        Assert.Contains("lpatch patches list", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_ServerError_NotRepeated_ExitsNoRepository()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(500, "internal", "Disk full.").Reply(201, Canned.Patch());

        var run = Run(Publish(server, SignedLivepatch));

        Assert.Equal(ExitCodes.NoRepository, run.Exit);
        Assert.Single(server.Requests);
    }

    [Fact]
    public void Publish_ConnectionRefused_ExitsNoRepository()
    {
        var run = Run("publish", FixtureFiles.PathOf("modules", SignedLivepatch), "--server", LoopbackPorts.RefusingUrl().ToString(),
            "--api-key", ApiKey, "--build-id", Canned.BuildId);

        Assert.Equal(ExitCodes.NoRepository, run.Exit);
        Assert.StartsWith("lpatch: error [repository-unreachable]:", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api-keys", "delete", "k1")] // a call that returns nothing: Refit passes its transport failure through untyped
    [InlineData("api-keys", "list", null)]
    public void ApiKeys_ConnectionRefused_ExitsNoRepositoryNotInternal(string group, string command, string? argument)
    {
        string[] args = [group, command, .. argument is null ? [] : new[] { argument }, "--server", LoopbackPorts.RefusingUrl().ToString(), "--api-key", ApiKey];

        var run = Run(args);

        Assert.Equal(ExitCodes.NoRepository, run.Exit);
        Assert.StartsWith("lpatch: error [repository-unreachable]: Cannot reach http://127.0.0.1:", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ftp://example.com/")]
    public void MissingOrBadServer_ExitsUsage(string? server)
    {
        var run = Run(server is null ? ["kernels", "list"] : ["kernels", "list", "--server", server]);

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.StartsWith("lpatch: error [server-invalid]:", run.Error, StringComparison.Ordinal);
    }

    /// <summary>A batch file in a temp folder beside copies of the fixture modules it names (relative paths).</summary>
    private static string BatchFile(string json, params (string Name, string Fixture)[] modules)
    {
        var folder = Directory.CreateTempSubdirectory("lpatch-batch-").FullName;
        foreach (var (name, fixture) in modules)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, name))!);
            File.Copy(FixtureFiles.PathOf("modules", fixture), Path.Combine(folder, name));
        }

        File.WriteAllText(Path.Combine(folder, "batch.json"), json);
        return Path.Combine(folder, "batch.json");
    }

    private static string[] PublishBatch(FakeRepository server, string batchFile, params string[] more) =>
        ["publish-batch", batchFile, "--server", server.Url.ToString(), "--api-key", ApiKey, .. more];

    [Fact]
    public async Task PublishBatch_SendsEveryModuleUnderADistinctNameWithItsFields()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(201, $$"""{"patches":[{{Canned.Patch(7)}},{{Canned.Patch(8)}}]}""");
        // Two modules with one file name in different folders: each part still needs its own name.
        var batch = BatchFile($$"""
            {"patches": [
              {"module": "a/lp_fix.ko", "buildIds": ["{{Canned.BuildId.ToUpperInvariant()}}"], "cves": ["CVE-2024-1086"], "severity": "high"},
              {"module": "b/lp_fix.ko", "buildIds": ["{{Canned.OtherBuildId}}"], "level": 4, "replace": false, "channel": "beta"}
            ]}
            """, ("a/lp_fix.ko", SignedLivepatch), ("b/lp_fix.ko", "lp_sample.ecdsa-p384-sha384.ko"));

        var run = Run(PublishBatch(server, batch));

        Assert.Equal(ExitCodes.Success, run.Exit);
        Assert.StartsWith("published 2 patch(es) (ids 7 to 8) for 4 kernel build(s)", run.Output, StringComparison.Ordinal);
        Assert.Contains("uploading 2 module(s)", run.Error, StringComparison.Ordinal);
        var request = Assert.Single(server.Requests);
        Assert.Equal(("/v1/patches/batch", "Bearer " + ApiKey), (request.Path, request.Authorization));
        Assert.Equal(["lp_fix.ko", "2-lp_fix.ko"], request.Files.Select(f => f.FileName));
        Assert.All(request.Files, f => Assert.Equal("module", f.Name));
        Assert.Equal(File.ReadAllBytes(FixtureFiles.PathOf("modules", "lp_sample.ecdsa-p384-sha384.ko")), request.Files[1].Bytes);
        using var sent = JsonDocument.Parse(Assert.Single(request.Form["batch"]));
        var patches = sent.RootElement.GetProperty("patches");
        Assert.Equal(("lp_fix.ko", Canned.BuildId, "CVE-2024-1086"), // the build ID normalised to lowercase
            (patches[0].GetProperty("module").GetString(), patches[0].GetProperty("buildIds")[0].GetString(), patches[0].GetProperty("cves")[0].GetString()));
        Assert.Equal(("2-lp_fix.ko", 4, false, "beta"), (patches[1].GetProperty("module").GetString(), patches[1].GetProperty("level").GetInt32(),
            patches[1].GetProperty("replace").GetBoolean(), patches[1].GetProperty("channel").GetString()));
        Assert.DoesNotContain(ApiKey, run.Output + run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lp_sample.ko", "signature-missing")]
    [InlineData("plain.rsa2048-sha256.ko", "module-not-livepatch")]
    public async Task PublishBatch_OneUnpublishableModule_RefusedLocallyNamingThePatch_NothingSent(string second, string code)
    {
        await using var server = await FakeRepository.StartAsync();
        var batch = BatchFile($$"""
            {"patches": [{"module": "good.ko", "buildIds": ["{{Canned.BuildId}}"]}, {"module": "bad.ko", "buildIds": ["{{Canned.OtherBuildId}}"]}]}
            """, ("good.ko", SignedLivepatch), ("bad.ko", second));

        var run = Run(PublishBatch(server, batch));

        Assert.Equal(ExitCodes.VerificationRefused, run.Exit);
        Assert.StartsWith($"lpatch: error [{code}]: patch 2 of {batch}: ", run.Error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("{\"patches\": [", "batch-invalid")]
    [InlineData("{\"patches\": []}", "batch-invalid")]
    [InlineData("{\"patches\": [{\"module\": \"good.ko\", \"buildID\": [\"4a5a9b0affb66c437abcd455d2738af879985fa9\"]}]}", "batch-invalid")]
    [InlineData("{\"patches\": [{\"module\": \"good.ko\", \"buildIds\": [\"xyz\"]}]}", "build-id-invalid")]
    public async Task PublishBatch_NotABatch_ExitsUsage_NothingSent(string json, string code)
    {
        await using var server = await FakeRepository.StartAsync();
        var batch = BatchFile(json, ("good.ko", SignedLivepatch));

        var run = Run(PublishBatch(server, batch));

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.StartsWith($"lpatch: error [{code}]:", run.Error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task PublishBatch_ServerRefusesOnePatch_ExitsWithItsCodeAndSaysWhich()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(409, "duplicate-module", "Patch 2 of the batch (module 'b.ko'): This module is already published for kernel 1f2e as patch 3.");
        var batch = BatchFile($$"""
            {"patches": [{"module": "a.ko", "buildIds": ["{{Canned.BuildId}}"]}, {"module": "b.ko", "buildIds": ["{{Canned.OtherBuildId}}"]}]}
            """, ("a.ko", SignedLivepatch), ("b.ko", "lp_sample.ecdsa-p384-sha384.ko"));

        var run = Run(PublishBatch(server, batch));

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit); // a conflict, as for a single publish
        Assert.Contains("\nlpatch: error [duplicate-module]: Patch 2 of the batch (module 'b.ko'):", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Output);
    }
}
