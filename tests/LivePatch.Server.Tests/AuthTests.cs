using System.Net;
using LivePatch.Core.Repository;
using LivePatch.Server.Auth;

namespace LivePatch.Server.Tests;

public sealed class AuthTests : IDisposable
{
    private readonly RepositoryFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public void Start_FirstRun_WritesBootstrapAdminKeyOwnerOnly()
    {
        var key = _factory.AdminKey;

        Assert.StartsWith("lpk_", key);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_factory.DataDirectory, RepositoryStartup.AdminKeyFileName)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("lpk_000000000000_wrong")]
    [InlineData("not-even-a-key")]
    public async Task Publish_WithoutValidKey_401AndNothingStored(string? key)
    {
        using var client = _factory.CreateClient(key);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        await PublishTests.AssertNothingStoredAsync(client, _factory);
    }

    [Fact]
    public async Task Publish_KeyWithOneCharacterChanged_401()
    {
        var key = await _factory.CreateKeyAsync("publisher");
        var tampered = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');
        using var client = _factory.CreateClient(tampered);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Publisher_CanPublishButNotManageKeys()
    {
        using var client = _factory.CreateClient(await _factory.CreateKeyAsync("publisher"));

        var publish = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));
        var createKey = await client.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("mine", "admin"));
        var listKeys = await client.GetAsync("/v1/api-keys");

        Assert.Equal(HttpStatusCode.Created, publish.StatusCode);
        await PublishTests.AssertProblemAsync(createKey, HttpStatusCode.Forbidden, "forbidden");
        await PublishTests.AssertProblemAsync(listKeys, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task DeletedKey_IsRefused()
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);
        var created = (await (await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("ci", "publisher"))).Content.ReadFromJsonAsync<ApiKeyInfo>())!;

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/api-keys/{created.Id}")).StatusCode);
        using var client = _factory.CreateClient(created.Secret);

        await PublishTests.AssertProblemAsync(await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko")), HttpStatusCode.Unauthorized, "unauthenticated");
        await PublishTests.AssertProblemAsync(await admin.DeleteAsync($"/v1/api-keys/{created.Id}"), HttpStatusCode.NotFound, "api-key-not-found");
    }

    [Fact]
    public async Task Keys_CreatedAndDeleted_SameAnswersAfterARestart()
    {
        var first = new RepositoryFactory { DeleteDataOnDispose = false };
        var adminKey = first.AdminKey;
        ApiKeyInfo kept, deleted;
        string before;
        using (first)
        {
            using var admin = first.CreateClient(adminKey);
            kept = (await (await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("kept", "publisher"))).Content.ReadFromJsonAsync<ApiKeyInfo>())!;
            deleted = (await (await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("deleted", "publisher"))).Content.ReadFromJsonAsync<ApiKeyInfo>())!;
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/api-keys/{deleted.Id}")).StatusCode);
            before = await admin.GetStringAsync("/v1/api-keys");
        }

        using var restarted = new RepositoryFactory(dataDirectory: first.DataDirectory);
        using var restartedAdmin = restarted.CreateClient(adminKey);
        Assert.Equal(before, await restartedAdmin.GetStringAsync("/v1/api-keys"));
        Assert.Contains("\"kept\"", before);
        Assert.DoesNotContain("\"deleted\"", before);
        using var keptClient = restarted.CreateClient(kept.Secret);
        Assert.Equal(HttpStatusCode.Created, (await keptClient.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).StatusCode);
        using var deletedClient = restarted.CreateClient(deleted.Secret);
        await PublishTests.AssertProblemAsync(await deletedClient.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko")),
            HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task ListKeys_NeverShowsSecrets()
    {
        await _factory.CreateKeyAsync("publisher");
        using var admin = _factory.CreateClient(_factory.AdminKey);

        var body = await admin.GetStringAsync("/v1/api-keys");

        Assert.DoesNotContain("secret", body);
        Assert.DoesNotContain(_factory.AdminKey, body);
        Assert.Contains("bootstrap-admin", body);
    }

    [Fact]
    public async Task CreateKey_BadRole_400()
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);

        await PublishTests.AssertProblemAsync(await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("x", "root")), HttpStatusCode.BadRequest, "api-key-invalid");
    }

    [Theory]
    [InlineData("")]
    [InlineData("ci\nforged log line")]
    [InlineData("ci\u001b[2J")]
    [InlineData("ci key")]
    [InlineData("\u202eic")]
    [InlineData("a-name-that-is-sixty-five-characters-long-xxxxxxxxxxxxxxxxxxxxxxx")]
    public async Task CreateKey_NameOutsideSafeSet_400NameInvalid(string name)
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);

        var response = await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest(name, "publisher"));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "api-key-name-invalid");
        Assert.DoesNotContain(name.Length > 0 ? name : "\0", await admin.GetStringAsync("/v1/api-keys"));
    }

    [Theory]
    [InlineData("ci.build-01@example.com")]
    [InlineData("a_b")]
    public async Task CreateKey_SafeName_201(string name)
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest(name, "publisher"))).StatusCode);
    }

    [Fact]
    public async Task DeleteKey_LastAdmin_409AndKeyStillWorks()
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);
        var keys = await admin.GetFromJsonAsync<List<ApiKeyInfo>>("/v1/api-keys");
        var bootstrap = keys!.Single(k => k.Role == RepositoryRoles.Admin);

        await PublishTests.AssertProblemAsync(await admin.DeleteAsync($"/v1/api-keys/{bootstrap.Id}"), HttpStatusCode.Conflict, "last-admin-key");
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/api-keys")).StatusCode);
    }

    [Fact]
    public async Task DeleteKey_AdminWithAnotherAdmin_204()
    {
        using var admin = _factory.CreateClient(_factory.AdminKey);
        var bootstrap = (await admin.GetFromJsonAsync<List<ApiKeyInfo>>("/v1/api-keys"))!.Single();
        var second = (await (await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("second-admin", "admin"))).Content.ReadFromJsonAsync<ApiKeyInfo>())!;

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/api-keys/{bootstrap.Id}")).StatusCode);
        using var secondAdmin = _factory.CreateClient(second.Secret);
        await PublishTests.AssertProblemAsync(await secondAdmin.DeleteAsync($"/v1/api-keys/{second.Id}"), HttpStatusCode.Conflict, "last-admin-key");
    }

    [Fact]
    public async Task Listing_Anonymous_HidesPublisherKeyName()
    {
        using var publisher = _factory.CreateClient(await _factory.CreateKeyAsync("publisher"));
        var id = (await (await publisher.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).Content.ReadFromJsonAsync<PatchInfo>())!.Id;
        using var anonymous = _factory.CreateClient(apiKey: null);

        Assert.DoesNotContain("test-publisher", await anonymous.GetStringAsync("/v1/patches"));
        Assert.Contains("test-publisher", await publisher.GetStringAsync("/v1/patches")); // the page above did hold the patch
        Assert.DoesNotContain("test-publisher", await anonymous.GetStringAsync($"/v1/patches/{id}"));
        Assert.Equal("test-publisher", (await publisher.GetFromJsonAsync<PatchInfo>($"/v1/patches/{id}"))!.Publisher);
    }

    [Fact]
    public async Task ConfiguredHashedKey_Authenticates()
    {
        const string key = "lpk_configured_0123456789abcdef0123456789abcdef";
        using var factory = new RepositoryFactory(new()
        {
            ["LivePatch:ApiKeys:0:Name"] = "ci",
            ["LivePatch:ApiKeys:0:Role"] = "publisher",
            ["LivePatch:ApiKeys:0:Sha256"] = ApiKeyService.HashForConfiguration(key),
        });
        using var client = factory.CreateClient(key);

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("ci", (await response.Content.ReadFromJsonAsync<PatchInfo>())!.Publisher);
    }

    [Fact]
    public async Task Reads_NeedNoKey()
    {
        using var client = _factory.CreateClient(apiKey: null);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/patches")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/kernels")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/coverage/stable/{Fixtures.BuildId[..2]}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/index")).StatusCode);
    }
}
