using System.Net;
using System.Text.Json;
using LivePatch.Core.Repository;
using LivePatch.Testing;

namespace LivePatch.Client.Tests;

public sealed class RepositoryClientTests
{
    private static readonly byte[] ModuleBytes = [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3, 0, 255];

    private static RepositoryClient Client(Uri server, string? apiKey = "lpk_test") => RepositoryClient.Create(new RepositoryClientOptions
    {
        Server = server,
        ApiKey = apiKey,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        AttemptTimeout = TimeSpan.FromSeconds(10),
    });

    private static ModuleUpload Upload() => new()
    {
        FileName = "lp_sample.ko",
        Module = ModuleBytes,
        BuildIds = [Canned.BuildId, Canned.OtherBuildId],
        Cves = ["CVE-2024-1086", "CVE-2024-26581"],
        Channel = "beta",
        Level = 3,
        Severity = "high",
        Description = "nf_tables fix",
        Replace = false,
    };

    [Fact]
    public async Task PublishAsync_SendsModuleEveryRepeatedFieldAndBearer()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(201, Canned.Patch());
        using var client = Client(server.Url);

        var patch = await client.Api.PublishAsync(Upload());

        Assert.Equal(7, patch.Id);
        var request = Assert.Single(server.Requests);
        Assert.Equal(("POST", "/v1/patches"), (request.Method, request.Path));
        Assert.Equal("Bearer lpk_test", request.Authorization);
        var file = Assert.Single(request.Files);
        Assert.Equal(("module", "lp_sample.ko"), (file.Name, file.FileName));
        Assert.Equal(ModuleBytes, file.Bytes);
        Assert.Equal([Canned.BuildId, Canned.OtherBuildId], request.Form["buildId"]);
        Assert.Equal(["CVE-2024-1086", "CVE-2024-26581"], request.Form["cve"]);
        Assert.Equal(["beta"], request.Form["channel"]);
        Assert.Equal(["3"], request.Form["level"]);
        Assert.Equal(["high"], request.Form["severity"]);
        Assert.Equal(["nf_tables fix"], request.Form["description"]);
        Assert.Equal(["false"], request.Form["replace"]);
    }

    [Fact]
    public async Task PublishAsync_OptionalFieldsUnset_LeavesThemOutForTheServerDefaults()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(201, Canned.Patch());
        using var client = Client(server.Url);

        await client.Api.PublishAsync(new ModuleUpload { FileName = "m.ko", Module = ModuleBytes, BuildIds = [Canned.BuildId] });

        var form = Assert.Single(server.Requests).Form;
        Assert.Equal(["buildId", "replace"], form.Keys.Order());
        Assert.Equal(["true"], form["replace"]);
    }

    [Fact]
    public async Task ListPatchesAsync_SendsQueryAndNoApiKey()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patches());
        using var client = Client(server.Url);

        var patches = await client.Api.ListPatchesAsync(Canned.BuildId, "stable");

        Assert.Equal([7, 8], patches.Items.Select(p => p.Id));
        Assert.Null(patches.Next);
        var request = Assert.Single(server.Requests);
        Assert.Equal($"?buildId={Canned.BuildId}&channel=stable", request.Query);
        Assert.Null(request.Authorization); // reads are anonymous: the secret never travels where it is not needed
    }

    [Fact]
    public async Task ListPatchesAsync_AfterAndLimit_SentAsQueryNextRead()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patches(next: "8"));
        using var client = Client(server.Url);

        var page = await client.Api.ListPatchesAsync(after: "6", limit: 2);

        Assert.Equal("8", page.Next);
        Assert.Equal("?after=6&limit=2", Assert.Single(server.Requests).Query);
    }

    [Fact]
    public async Task PromoteAsync_WithoutApiKey_SendsNoAuthorizationHeader()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(401, "api-key-missing", "This endpoint needs an API key.");
        using var client = Client(server.Url, apiKey: null);

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.PromoteAsync(7, new PromoteRequest("stable")));

        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.Null(Assert.Single(server.Requests).Authorization);
    }

    [Fact]
    public async Task PromoteAndRevoke_SendCamelCaseJsonBodies()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patch()).Reply(200, Canned.Patch(revoked: "crashes"));
        using var client = Client(server.Url);

        await client.Api.PromoteAsync(7, new PromoteRequest("stable"));
        var revoked = await client.Api.RevokeAsync(7, new RevokeRequest("crashes"));

        Assert.Equal("crashes", revoked.Revoked?.Reason);
        Assert.Equal(["/v1/patches/7/promote", "/v1/patches/7/revoke"], server.Requests.Select(r => r.Path));
        Assert.Equal("stable", JsonDocument.Parse(server.Requests[0].Body).RootElement.GetProperty("channel").GetString());
        Assert.Equal("crashes", JsonDocument.Parse(server.Requests[1].Body).RootElement.GetProperty("reason").GetString());
        Assert.All(server.Requests, r => Assert.Equal("Bearer lpk_test", r.Authorization));
    }

    [Fact]
    public async Task ApiKeys_CreateListDelete()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(201, Canned.ApiKey).Reply(200, Canned.ApiKeys).Reply(204);
        using var client = Client(server.Url);

        var created = await client.Api.CreateApiKeyAsync(new CreateApiKeyRequest("ci", RepositoryRoles.Publisher));
        var keys = await client.Api.ListApiKeysAsync();
        await client.Api.DeleteApiKeyAsync("k1");

        Assert.Equal("lpk_s3cr3t", created.Secret);
        Assert.Equal("ci", Assert.Single(keys).Name);
        Assert.Equal(["POST /v1/api-keys", "GET /v1/api-keys", "DELETE /v1/api-keys/k1"], server.Requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.All(server.Requests, r => Assert.Equal("Bearer lpk_test", r.Authorization));
    }

    [Fact]
    public async Task ListKernelsAsync_ReadsLevelsPerChannel()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Kernels());
        using var client = Client(server.Url);

        var kernel = Assert.Single((await client.Api.ListKernelsAsync()).Items);

        Assert.Equal(4, kernel.Levels["beta"]);
    }

    [Fact]
    public async Task Server_WithPathPrefix_KeepsThePrefix()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Kernels());
        using var client = Client(new Uri(server.Url, "repo"));

        await client.Api.ListKernelsAsync();

        Assert.Equal("/repo/v1/kernels", Assert.Single(server.Requests).Path);
    }
}
