using System.Text.Json;
using LivePatch.Cli.Commands;
using LivePatch.Core.Repository;
using LivePatch.Testing;

namespace LivePatch.Cli.Tests;

/// <summary>The read commands (patches, kernels, audit) and the other write commands (promote, revoke, api-keys).</summary>
public sealed class RepositoryCommandsTests
{
    private const string ApiKey = "lpk_admin_secret";

    private static CliRun Run(FakeRepository server, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var repository = new RepositoryEnvironment
        {
            GetVariable = name => name == RepositoryEnvironment.ServerVariable ? server.Url.ToString() : null,
            RetryDelay = TimeSpan.FromMilliseconds(10),
        };
        var exit = LpatchCommand.Run(args, output, error, repository);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task PatchesList_5xxThenSuccess_PrintsTable()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(503, "unavailable", "Starting.").Reply(200, Canned.Patches());

        var run = Run(server, "patches", "list", "--build-id", Canned.BuildId, "--channel", "stable");

        Assert.Equal(ExitCodes.Success, run.Exit);
        var lines = run.Output.TrimEnd().Split('\n');
        Assert.StartsWith("ID  NAME       LEVEL  KERNEL", lines[0], StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal($"?buildId={Canned.BuildId}&channel=stable&limit={PageLimits.MaxLimit}", server.Requests[1].Query);
    }

    [Fact]
    public async Task EveryCall_SendsLpatchUserAgent()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patches());

        Run(server, "patches", "list");

        Assert.Matches(@"^lpatch/\d+\.\d+", Assert.Single(server.Requests).UserAgent);
    }

    [Theory]
    [InlineData("patches", "show", "abc")]
    [InlineData("promote", "abc", "--channel", "stable")]
    [InlineData("revoke", "1x", "--reason", "bad")]
    [InlineData("patches", "delete", "seven")]
    [InlineData("patches", "delete", "-3")]
    public async Task PatchId_NotANumber_UsageErrorInWordsNothingSent(params string[] args)
    {
        await using var server = await FakeRepository.StartAsync();

        var run = Run(server, args);

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Contains("is not a patch id", run.Error);
        Assert.DoesNotContain("System.Int32", run.Error);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Unauthorized_WithKeySent_SaysTheKeyWasRefused()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(401, "unauthenticated", "The API key is not valid.");

        var run = Run(server, "promote", "7", "--channel", "stable", "--api-key", ApiKey);

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Contains("the server refused this API key", run.Error);
        Assert.DoesNotContain("pass --api-key", run.Error);
    }

    [Fact]
    public async Task TooLarge_SaysModuleTooLargeWithTheLimitNotUnreachable()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(413, "module-too-large", "limit 64 MiB: the upload is larger than this repository accepts");

        var run = Run(server, "promote", "7", "--channel", "stable", "--api-key", ApiKey);

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Contains("module too large (limit 64 MiB", run.Error);
        Assert.DoesNotContain("unreachable", run.Error);
    }

    [Fact]
    public async Task PatchesList_Json_PrintsTheRecords()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patches());

        var run = Run(server, "patches", "list", "--json");

        Assert.Equal(ExitCodes.Success, run.Exit);
        Assert.Equal(2, JsonDocument.Parse(run.Output).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task PatchesList_SeveralPages_FollowsNextPrintsEachOnceInOrder()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Page("8", Canned.Patch(7), Canned.Patch(8))).Reply(200, Canned.Page(null, Canned.Patch(9, "beta")));

        var run = Run(server, "patches", "list", "--channel", "stable");

        Assert.Equal(ExitCodes.Success, run.Exit);
        Assert.Equal(["7", "8", "9"], run.Output.TrimEnd().Split('\n').Skip(1).Select(line => line.Split(' ')[0]));
        Assert.Equal([$"?channel=stable&limit={PageLimits.MaxLimit}", $"?channel=stable&after=8&limit={PageLimits.MaxLimit}"],
            server.Requests.Select(r => r.Query));
    }

    [Fact]
    public async Task PatchesList_JsonOverSeveralPages_OneFlatArrayAsBefore()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Page("7", Canned.Patch(7))).Reply(200, Canned.Page("7x", [])).Reply(200, Canned.Page(null, Canned.Patch(8)));

        var run = Run(server, "patches", "list", "--json");

        // An empty page with a next is not the end (the server stops a page early at its own bounds).
        Assert.Equal(ExitCodes.Success, run.Exit);
        var records = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal(JsonValueKind.Array, records.ValueKind);
        Assert.Equal([7, 8], records.EnumerateArray().Select(p => p.GetProperty("id").GetInt32()));
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task KernelsList_SeveralPages_PrintsEveryKernelAndJsonIsAFlatArray()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Page(Canned.BuildId, Canned.Kernel())).Reply(200, Canned.Page(null, Canned.Kernel(Canned.OtherBuildId)))
            .Reply(200, Canned.Page(Canned.BuildId, Canned.Kernel())).Reply(200, Canned.Page(null, Canned.Kernel(Canned.OtherBuildId)));

        var text = Run(server, "kernels", "list");
        var json = Run(server, "kernels", "list", "--json");

        Assert.Equal((ExitCodes.Success, ExitCodes.Success), (text.Exit, json.Exit));
        Assert.Equal([Canned.BuildId, Canned.OtherBuildId], text.Output.TrimEnd().Split('\n').Skip(1).Select(line => line.Split(' ')[0]));
        Assert.Equal([Canned.BuildId, Canned.OtherBuildId],
            JsonDocument.Parse(json.Output).RootElement.EnumerateArray().Select(k => k.GetProperty("buildId").GetString()));
        Assert.Equal($"?after={Canned.BuildId}&limit={PageLimits.MaxLimit}", server.Requests[1].Query);
    }

    [Fact]
    public async Task PatchesList_ServerSendsBackTheSameCursor_ListingEndlessExit1()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patches(next: "8")).Reply(200, Canned.Patches(next: "8")).Reply(200, Canned.Patches(next: "8"));

        var run = Run(server, "patches", "list");

        Assert.Equal(1, run.Exit);
        Assert.StartsWith("lpatch: error [listing-endless]: ", run.Error, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count); // stopped at the repeat, not at the page cap
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task PatchesList_BadBuildId_NothingSent()
    {
        await using var server = await FakeRepository.StartAsync();

        var run = Run(server, "patches", "list", "--build-id", "abc");

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task PatchesShow_NotFound_NotRetried_ExitsUsage()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(404, "patch-not-found", "No patch 9.").Reply(200, Canned.Patch());

        var run = Run(server, "patches", "show", "9");

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Equal("lpatch: error [patch-not-found]: No patch 9.", run.Error.Trim());
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task PatchesShow_PrintsFields()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patch(revoked: "crashes on boot"));

        var run = Run(server, "patches", "show", "7");

        Assert.Equal(ExitCodes.Success, run.Exit);
        Assert.Equal("lp_sample", run.Field("name"));
        Assert.Equal("CVE-2024-1086", run.Field("cves"));
        Assert.Equal("revoked 2025-01-03 00:00:00Z: crashes on boot", run.Field("status"));
    }

    [Fact]
    public async Task KernelsList_PrintsLevelsPerChannel()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Kernels());

        var run = Run(server, "kernels", "list");

        Assert.Equal(ExitCodes.Success, run.Exit);
        Assert.Contains($"{Canned.BuildId}  6.1.0-28-amd64  2        stable=3 beta=4", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromoteAndRevoke_SendBodiesWithBearer()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patch()).Reply(200, Canned.Patch(revoked: "bad"));

        var promote = Run(server, "promote", "7", "--channel", "stable", "--api-key", ApiKey);
        var revoke = Run(server, "revoke", "7", "--reason", "bad", "--api-key", ApiKey);

        Assert.Equal((ExitCodes.Success, ExitCodes.Success), (promote.Exit, revoke.Exit));
        Assert.Equal(["/v1/patches/7/promote", "/v1/patches/7/revoke"], server.Requests.Select(r => r.Path));
        Assert.Equal("stable", JsonDocument.Parse(server.Requests[0].Body).RootElement.GetProperty("channel").GetString());
        Assert.Equal("bad", JsonDocument.Parse(server.Requests[1].Body).RootElement.GetProperty("reason").GetString());
        Assert.All(server.Requests, r => Assert.Equal("Bearer " + ApiKey, r.Authorization));
    }

    [Fact]
    public async Task Promote_ServerModuleNameInvalid_ExitsUsageNotVerification()
    {
        // Its spelling starts like the module refusals, but its category (Invalid) decides: exit 2, whatever the status.
        await using var server = await FakeRepository.StartAsync();
        server.Problem(422, "module-name-invalid", "The module name 'lp.sample' must be 1 to 55 characters of [A-Za-z0-9_-].");

        var run = Run(server, "promote", "7", "--channel", "stable", "--api-key", ApiKey);

        Assert.Equal(2, run.Exit);
        Assert.Contains("[module-name-invalid]", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(502, 3)] // a proxy's error page: no working repository
    [InlineData(422, 1)] // a refusal lpatch does not know yet (a newer server)
    [InlineData(409, 2)]
    public async Task Promote_UnknownCode_ExitFromTheStatus(int status, int exit)
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(status, "code-from-the-future", "Something lpatch has no code for.");

        var run = Run(server, "promote", "7", "--channel", "stable", "--api-key", ApiKey);

        Assert.Equal(exit, run.Exit);
        Assert.Single(server.Requests); // a POST is never retried
    }

    [Fact]
    public void Run_UnexpectedException_InternalErrorExit6WithoutStackTrace()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var broken = new RepositoryEnvironment { GetVariable = _ => throw new InvalidOperationException("the bug") };

        var exit = LpatchCommand.Run(["patches", "list"], output, error, broken);

        Assert.Equal(6, exit);
        Assert.Equal("lpatch: internal error [internal]: the bug", error.ToString().Trim());
    }

    [Fact]
    public async Task Revoke_Forbidden_HintsAtTheRole()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(403, "api-key-role", "This key may not revoke.");

        var run = Run(server, "revoke", "7", "--reason", "bad", "--api-key", ApiKey);

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Contains("publisher", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PatchesDelete_SendsDeleteWithBearer_PrintsWhatWasDeleted()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patch());

        var run = Run(server, "patches", "delete", "7", "--api-key", ApiKey);

        Assert.Equal(ExitCodes.Success, run.Exit);
        var request = Assert.Single(server.Requests);
        Assert.Equal("DELETE /v1/patches/7", $"{request.Method} {request.Path}");
        Assert.Equal("Bearer " + ApiKey, request.Authorization);
        Assert.StartsWith("deleted lp_sample level 3 (id 7) from stable for 2 kernel build(s)", run.Output, StringComparison.Ordinal);
        Assert.Contains(Canned.BuildId, run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PatchesDelete_Json_PrintsTheDeletedRecord()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patch());

        var run = Run(server, "patches", "delete", "7", "--api-key", ApiKey, "--json");

        Assert.Equal(ExitCodes.Success, run.Exit);
        Assert.Equal(7, JsonDocument.Parse(run.Output).RootElement.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task PatchesDelete_AsPublisher_ForbiddenHintsAtAdmin()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(403, "forbidden", "This API key's role may not do this.");

        var run = Run(server, "patches", "delete", "7", "--api-key", ApiKey);

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Contains("patches delete need admin", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKeys_CreatePrintsSecretOnce_ListAndDelete()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(201, Canned.ApiKey).Reply(200, Canned.ApiKeys).Reply(204);

        var create = Run(server, "api-keys", "create", "ci", "--role", "publisher", "--api-key", ApiKey);
        var list = Run(server, "api-keys", "list", "--api-key", ApiKey);
        var delete = Run(server, "api-keys", "delete", "k1", "--api-key", ApiKey);

        Assert.Equal((0, 0, 0), (create.Exit, list.Exit, delete.Exit));
        Assert.Equal("lpk_s3cr3t", create.Field("secret"));
        Assert.Contains("k1  ci    publisher", list.Output, StringComparison.Ordinal);
        Assert.Equal("ci", JsonDocument.Parse(server.Requests[0].Body).RootElement.GetProperty("name").GetString());
        Assert.Equal("DELETE /v1/api-keys/k1", $"{server.Requests[2].Method} {server.Requests[2].Path}");
        Assert.DoesNotContain(ApiKey, create.Output + list.Output + delete.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKeysCreate_UnknownRole_IsUsageError_NothingSent()
    {
        await using var server = await FakeRepository.StartAsync();

        var run = Run(server, "api-keys", "create", "ci", "--role", "root");

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Empty(server.Requests);
    }

    private const string AuditPage = """
        { "items": [
            { "id": 12, "time": "2026-03-01T12:00:05Z", "action": "auth-failed", "outcome": "unauthenticated", "keyId": "0123456789ab",
              "clientAddress": "203.0.113.7", "reason": "invalid-key", "target": "POST /v1/patches\u001b[2J" },
            { "id": 11, "time": "2026-03-01T12:00:00Z", "action": "revoke", "outcome": "ok", "keyId": "a1b2c3d4e5f6", "keyName": "ci",
              "clientAddress": "10.0.0.5", "patchId": 7, "buildIds": 2, "reason": "breaks NFS", "target": "lp_sample level 3" } ],
          "next": "11" }
        """;

    [Fact]
    public async Task Audit_WithFilters_AsksOnePageWithTheKeyAndPrintsItEscaped()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, AuditPage);

        var run = Run(server, "audit", "--action", "revoke", "--since", "2026-03-01T00:00:00Z", "--limit", "20", "--api-key", ApiKey);

        Assert.True(run.Exit == 0, run.Error);
        var request = Assert.Single(server.Requests);
        Assert.Equal("GET /v1/audit", $"{request.Method} {request.Path}");
        Assert.Equal("?action=revoke&since=2026-03-01T00%3A00%3A00Z&limit=20", request.Query);
        Assert.Equal("Bearer " + ApiKey, request.Authorization);
        var lines = run.Output.TrimEnd().Split('\n');
        Assert.StartsWith("ID  TIME                  ACTION       OUTCOME", lines[0], StringComparison.Ordinal);
        Assert.Contains("ci (a1b2c3d4e5f6)  10.0.0.5     patch 7, lp_sample level 3, 2 build ID(s), breaks NFS", lines[2], StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', run.Output);
        Assert.Contains(@"POST /v1/patches\x1b[2J", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_Json_PrintsTheEntries()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, AuditPage);

        var run = Run(server, "audit", "--json", "--api-key", ApiKey);

        Assert.True(run.Exit == 0, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal([12, 11], json.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetInt32()));
        Assert.Equal("?limit=50", Assert.Single(server.Requests).Query);
    }

    [Fact]
    public async Task Audit_LimitOutOfRange_UsageErrorWithoutAsking()
    {
        await using var server = await FakeRepository.StartAsync();

        var run = Run(server, "audit", "--limit", "1001", "--api-key", ApiKey);

        Assert.Equal(ExitCodes.UsageOrInput, run.Exit);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Audit_ServerRefusesTheKeysRole_ExitsTwoWithTheCode()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(403, "forbidden", "This API key's role may not do this.");

        var run = Run(server, "audit", "--api-key", ApiKey);

        Assert.Equal(2, run.Exit);
        Assert.Contains("[forbidden]", run.Error, StringComparison.Ordinal);
    }
}
