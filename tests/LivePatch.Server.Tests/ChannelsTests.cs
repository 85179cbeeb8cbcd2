using System.Net;
using LivePatch.Core.Repository;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace LivePatch.Server.Tests;

public sealed class ChannelsTests : IDisposable
{
    private readonly RepositoryFactory _factory = new(new() { ["LivePatch:Channels:0"] = "candidate", ["LivePatch:Channels:1"] = "stable" });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Publish_DefaultsToFirstChannel_OthersStayEmpty()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);

        var patch = await PublishAsync(client);

        Assert.Equal(["candidate"], patch.Channels);
        Assert.Single((await ManifestAsync(client, "candidate")).Patches);
        await CoverageTests.AssertNotCoveredAsync(client, "stable", Fixtures.BuildId, _factory);
    }

    [Fact]
    public async Task Promote_ToStable_ListedThereWithHigherVersion()
    {
        using var client = _factory.CreateClient(await _factory.CreateKeyAsync("publisher"));
        var patch = await PublishAsync(client);
        var before = await ManifestAsync(client, "candidate");

        var response = await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/promote", new PromoteRequest("stable"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["candidate", "stable"], (await response.Content.ReadFromJsonAsync<PatchInfo>())!.Channels);
        var stable = await ManifestAsync(client, "stable");
        Assert.Single(stable.Patches);
        Assert.True(stable.Version > before.Version);
    }

    [Fact]
    public async Task Promote_StableManifestWouldExceedBudget_409AndNothingChanges()
    {
        using var factory = new RepositoryFactory(new()
        {
            ["LivePatch:Channels:0"] = "candidate", ["LivePatch:Channels:1"] = "stable", ["LivePatch:MaxManifestBytes"] = "4096",
        });
        using var client = factory.CreateClient(factory.AdminKey);
        var description = new string('x', 2500); // one such patch fits in 4 KiB, two do not
        await PublishAsync(client, "lp_sample.rsa2048-sha256.ko", ("channel", "stable"), ("description", description));
        var candidate = await PublishAsync(client, "lp_sample.ecdsa-p384-sha384.ko", ("channel", "candidate"), ("level", "2"), ("description", description));
        var before = await client.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}");

        var response = await client.PostAsJsonAsync($"/v1/patches/{candidate.Id}/promote", new PromoteRequest("stable"));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.Conflict, "manifest-budget-exceeded");
        Assert.Equal(before, await client.GetByteArrayAsync($"/v1/manifests/stable/{Fixtures.BuildId}"));
        Assert.Equal(["candidate"], (await client.GetFromJsonAsync<PatchInfo>($"/v1/patches/{candidate.Id}"))!.Channels);
    }

    [Fact]
    public async Task Promote_TargetChannelHasThatLevelRevoked_PromotedAndRevocationKept()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var bad = await PublishAsync(client, "lp_sample.rsa2048-sha256.ko", ("channel", "stable"));
        await client.PostAsJsonAsync($"/v1/patches/{bad.Id}/revoke", new RevokeRequest("panics on boot"));
        var fixedPatch = await PublishAsync(client, "lp_sample.ecdsa-p384-sha384.ko", ("channel", "candidate"));
        Assert.Equal((1, 1), (bad.Level, fixedPatch.Level));

        var response = await client.PostAsJsonAsync($"/v1/patches/{fixedPatch.Id}/promote", new PromoteRequest("stable"));

        // It was level-conflict: the revoked level 1 blocked the fix from ever reaching stable at its level.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stable = await ManifestAsync(client, "stable");
        Assert.Equal(fixedPatch.Sha256, Assert.Single(stable.Patches).Sha256);
        Assert.Equal(bad.Sha256, Assert.Single(stable.Revoked).Sha256);
    }

    [Fact]
    public async Task Promote_TargetChannelHasThatLevelLive_LevelConflict()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        await PublishAsync(client, "lp_sample.rsa2048-sha256.ko", ("channel", "stable"));
        var other = await PublishAsync(client, "lp_sample.ecdsa-p384-sha384.ko", ("channel", "candidate"));

        var response = await client.PostAsJsonAsync($"/v1/patches/{other.Id}/promote", new PromoteRequest("stable"));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.Conflict, "level-conflict");
    }

    [Fact]
    public async Task Promote_Twice_Conflict()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var patch = await PublishAsync(client);
        await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/promote", new PromoteRequest("stable"));

        var again = await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/promote", new PromoteRequest("stable"));

        await PublishTests.AssertProblemAsync(again, HttpStatusCode.Conflict, "already-in-channel");
    }

    [Theory]
    [InlineData("/v1/patches?channel=nope", HttpStatusCode.NotFound, "unknown-channel")]
    [InlineData("/v1/patches?buildId=not-hex", HttpStatusCode.BadRequest, "build-id-invalid")]
    public async Task List_FilterNamingNothing_ProblemNotEmptyList(string url, HttpStatusCode status, string code)
    {
        using var client = _factory.CreateClient(apiKey: null);

        await PublishTests.AssertProblemAsync(await client.GetAsync(url), status, code);
    }

    [Fact]
    public async Task Revoke_ReasonWithControlCharacters_LoggedOnOneLine()
    {
        var lines = new LogLines();
        using var factory = _factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(lines)));
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", _factory.AdminKey);
        var patch = (await (await client.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).Content.ReadFromJsonAsync<PatchInfo>())!;

        var response = await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/revoke", new RevokeRequest("oops\n[fake] admin key created"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var revoked = Assert.Single(lines.Messages, m => m.StartsWith("Revoked patch", StringComparison.Ordinal));
        Assert.DoesNotContain(revoked, c => char.IsControl(c));
        Assert.Contains("\\u000a[fake]", revoked);
    }

    [Fact]
    public async Task Promote_UnknownChannelOrPatch_Refused()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var patch = await PublishAsync(client);

        await PublishTests.AssertProblemAsync(await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/promote", new PromoteRequest("../stable")), HttpStatusCode.NotFound, "unknown-channel");
        await PublishTests.AssertProblemAsync(await client.PostAsJsonAsync("/v1/patches/999/promote", new PromoteRequest("stable")), HttpStatusCode.NotFound, "patch-not-found");
    }

    [Fact]
    public async Task Revoke_PatchMovesToRevokedInEveryChannel()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var patch = await PublishAsync(client);
        await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/promote", new PromoteRequest("stable"));
        var before = await ManifestAsync(client, "stable");

        var response = await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/revoke", new RevokeRequest("crashes on AMD EPYC"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var channel in new[] { "candidate", "stable" })
        {
            var manifest = await ManifestAsync(client, channel);
            Assert.Empty(manifest.Patches);
            var revoked = Assert.Single(manifest.Revoked);
            Assert.Equal((patch.Name, patch.Level, patch.Sha256, "crashes on AMD EPYC"), (revoked.Name, revoked.Level, revoked.Sha256, revoked.Reason));
        }

        Assert.True((await ManifestAsync(client, "stable")).Version > before.Version);
    }

    [Fact]
    public async Task Revoke_WithoutReasonOrTwice_Refused()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var patch = await PublishAsync(client);

        await PublishTests.AssertProblemAsync(await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/revoke", new RevokeRequest(" ")), HttpStatusCode.BadRequest, "reason-required");
        await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/revoke", new RevokeRequest("bad"));
        await PublishTests.AssertProblemAsync(await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/revoke", new RevokeRequest("bad")), HttpStatusCode.Conflict, "patch-revoked");
        await PublishTests.AssertProblemAsync(await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/promote", new PromoteRequest("stable")), HttpStatusCode.Conflict, "patch-revoked");
    }

    [Fact]
    public async Task Revoke_ReasonWithTerminalEscape_RefusedAndStillServed()
    {
        // Hosts refuse a manifest whose reason carries control characters: the server must never sign one (it did, and 500ed).
        using var client = _factory.CreateClient(_factory.AdminKey);
        var patch = await PublishAsync(client);

        await PublishTests.AssertProblemAsync(await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/revoke",
            new RevokeRequest("breaks ext4 \u001b[31mRED\u001b[0m")), HttpStatusCode.BadRequest, "reason-required");

        Assert.Empty((await ManifestAsync(client, "candidate")).Revoked);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/v1/patches/{patch.Id}/revoke", new RevokeRequest("breaks ext4\non boot"))).StatusCode);
    }

    [Fact]
    public async Task Publish_AfterRevoke_LevelIsNeverReused()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var first = await PublishAsync(client);
        await client.PostAsJsonAsync($"/v1/patches/{first.Id}/revoke", new RevokeRequest("bad"));

        var second = await PublishAsync(client, "lp_sample.ecdsa-p384-sha384.ko");

        Assert.Equal(first.Level + 1, second.Level);
    }

    [Fact]
    public async Task List_FiltersByKernelAndChannel()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var patch = await PublishAsync(client);

        Assert.Single(await Listings.PatchesAsync(client, $"buildId={Fixtures.BuildId}&channel=candidate"));
        Assert.Empty(await Listings.PatchesAsync(client, "channel=stable"));
        Assert.Empty(await Listings.PatchesAsync(client, $"buildId={Fixtures.OtherBuildId}"));
        Assert.Equal(patch.Sha256, (await client.GetFromJsonAsync<PatchInfo>($"/v1/patches/{patch.Id}"))!.Sha256);
        await PublishTests.AssertProblemAsync(await client.GetAsync("/v1/patches/42"), HttpStatusCode.NotFound, "patch-not-found");
    }

    private static async Task<PatchInfo> PublishAsync(HttpClient client, string fixture = "lp_sample.rsa2048-sha256.ko", params (string Key, string Value)[] fields)
    {
        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(fixture, [("buildId", Fixtures.BuildId), .. fields]));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PatchInfo>())!;
    }

    private Task<Core.Manifests.Manifest> ManifestAsync(HttpClient client, string channel) =>
        PublishTests.VerifiedManifestAsync(client, channel, Fixtures.BuildId, _factory);
}

/// <summary>Every formatted log message of a server under test.</summary>
internal sealed class LogLines : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();

    public IReadOnlyList<string> Messages => [.. _messages];

    public ILogger CreateLogger(string categoryName) => new Logger(_messages);

    public void Dispose()
    {
    }

    private sealed class Logger(System.Collections.Concurrent.ConcurrentQueue<string> messages) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            messages.Enqueue(formatter(state, exception) + exception);
    }
}
