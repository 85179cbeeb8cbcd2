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
}
