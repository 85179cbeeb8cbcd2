using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LivePatch.Core.Repository;
using LivePatch.Server.Audit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace LivePatch.Server.Tests;

/// <summary>The audit trail on a real Kestrel: every write and refused authentication is one log event and one stored entry
/// with the key's id and name and the client's address, nothing secret in either, and the stored trail stays bounded.</summary>
public sealed class AuditTests
{
    private const string Secret = "S3cretPartOfTheKeyThatMustNeverBeLogged0123456789";

    [Fact]
    public async Task Writes_EachAction_AuditedWithKeyIdNameAndClientAddress()
    {
        using var server = new LoopbackRepository(Channels(), services => services.AddFakeLogging());
        var admin = server.Factory.AdminKey;
        using var adminClient = server.Client(admin);
        var created = await (await adminClient.PostAsJsonAsync("/v1/api-keys", new { name = "ci", role = "publisher" })).Content.ReadFromJsonAsync<ApiKeyInfo>();
        using var publisher = server.Client(created!.Secret);
        var published = await (await publisher.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).Content.ReadFromJsonAsync<PatchInfo>();
        var id = published!.Id;
        (await publisher.PostAsJsonAsync($"/v1/patches/{id}/promote", new { channel = "stable" })).EnsureSuccessStatusCode();
        (await publisher.PostAsJsonAsync($"/v1/patches/{id}/revoke", new { reason = "breaks NFS" })).EnsureSuccessStatusCode();
        (await adminClient.DeleteAsync($"/v1/patches/{id}")).EnsureSuccessStatusCode();
        (await adminClient.DeleteAsync($"/v1/api-keys/{created.Id}")).EnsureSuccessStatusCode();

        var all = (await AuditAsync(adminClient)).Items.Reverse().ToList();
        var bootstrap = all[0];
        var entries = all.Skip(1).ToList();

        Assert.Equal(("api-key-create", "startup", $"{admin.Split('_')[1]} (bootstrap-admin, admin)"), (bootstrap.Action, bootstrap.KeyName, bootstrap.Target));
        Assert.Equal(["api-key-create", "publish", "promote", "revoke", "patch-delete", "api-key-delete"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal(("ok", "127.0.0.1"), (e.Outcome, e.ClientAddress)));
        var adminId = admin.Split('_')[1];
        Assert.Equal([adminId, created.Id, created.Id, created.Id, adminId, adminId], entries.Select(e => e.KeyId));
        Assert.Equal(["bootstrap-admin", "ci", "ci", "ci", "bootstrap-admin", "bootstrap-admin"], entries.Select(e => e.KeyName));
        Assert.Equal($"{created.Id} (ci, publisher)", entries[0].Target);
        Assert.Equal((id, "candidate", 1, "lp_sample level 1"), (entries[1].PatchId, entries[1].Channel, entries[1].BuildIds, entries[1].Target));
        Assert.Equal((id, "stable"), (entries[2].PatchId, entries[2].Channel));
        Assert.Equal((id, "breaks NFS"), (entries[3].PatchId, entries[3].Reason));
        Assert.Equal(id, entries[4].PatchId);
        Assert.DoesNotContain(created.Secret!, JsonSerializer.Serialize(entries));

        var logged = server.Factory.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Category == AuditTrail.Category).Skip(1).ToList();
        Assert.Equal([3011, 3001, 3002, 3003, 3004, 3012], logged.Select(r => r.Id.Id));
        Assert.All(logged, r => Assert.Equal("127.0.0.1", r.GetStructuredStateValue("ClientAddress")));
        Assert.Equal(created.Id, logged[1].GetStructuredStateValue("KeyId"));
        Assert.Equal("ci", logged[1].GetStructuredStateValue("KeyName"));
        Assert.Equal("publish", logged[1].GetStructuredStateValue("Action"));
    }

    [Fact]
    public async Task RefusedWrite_AuditedWithItsProblemCode()
    {
        using var server = new LoopbackRepository();
        using var admin = server.Client(server.Factory.AdminKey);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync("/v1/patches/99/revoke", new { reason = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/v1/upstream/import", new ByteArrayContent([1, 2, 3]))).StatusCode);

        var entries = (await AuditAsync(admin)).Items;
        Assert.Equal([("upstream-import", "upstream-not-configured"), ("revoke", "patch-not-found"), ("api-key-create", "ok")],
            entries.Select(e => (e.Action, e.Outcome)));
        Assert.Equal(99, entries[1].PatchId);
    }

    [Fact]
    public async Task FailedAuthentication_RecordedWithTheClaimedIdButNeverThePresentedSecret()
    {
        using var server = new LoopbackRepository(Verbose(), services => services.AddFakeLogging());
        using var guesser = server.Client($"lpk_0123456789ab_{Secret}");

        Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).StatusCode);
        (await guesser.GetAsync("/v1/patches")).EnsureSuccessStatusCode(); // an anonymous read with a wrong key: still a guess

        using var admin = server.Client(server.Factory.AdminKey);
        var response = await admin.GetStringAsync("/v1/audit?action=auth-failed");
        var entries = JsonSerializer.Deserialize(response, RepositoryJsonContext.Default.ListPageAuditEntry)!.Items;
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Equal(("unauthenticated", "invalid-key", "0123456789ab", "127.0.0.1"), (e.Outcome, e.Reason, e.KeyId, e.ClientAddress)));
        Assert.Equal(["GET /v1/patches", "POST /v1/patches"], entries.Select(e => e.Target));
        Assert.DoesNotContain(Secret, response);
        var logs = server.Factory.Services.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(logs, r => r.Category == AuditTrail.Category && r.Id.Id == 3031);
        Assert.DoesNotContain(logs, r => r.ToString().Contains(Secret) || (r.StructuredState ?? []).Any(kv => kv.Value?.Contains(Secret) == true));
    }

    [Fact]
    public async Task Forbidden_RecordedWithTheKeyThatTried()
    {
        using var server = new LoopbackRepository();
        var key = await server.Factory.CreateKeyAsync("publisher");
        using var publisher = server.Client(key);

        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.GetAsync("/v1/api-keys")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().DeleteAsync("/v1/patches/1")).StatusCode);

        using var admin = server.Client(server.Factory.AdminKey);
        var entries = (await AuditAsync(admin, "?action=auth-failed")).Items;
        Assert.Equal([("unauthenticated", "missing-key", null, null), ("forbidden", "forbidden", key.Split('_')[1], "test-publisher")],
            entries.Select(e => (e.Outcome, e.Reason, e.KeyId, e.KeyName)));
    }

    [Fact]
    public async Task Audit_BeyondMaxEntries_KeepsTheNewest()
    {
        using var server = new LoopbackRepository(new() { ["LivePatch:Audit:MaxEntries"] = "100" });
        using var admin = server.Client(server.Factory.AdminKey);
        for (var i = 0; i < 130; i++)
        {
            await admin.PostAsJsonAsync("/v1/api-keys", new { name = "no spaces allowed", role = "publisher" });
        }

        var page = await AuditAsync(admin, "?limit=1000");

        Assert.Equal(100, page.Items.Count);
        // The bootstrap key's creation (id 1) and the first 30 refusals were dropped.
        Assert.Equal(Enumerable.Range(32, 100).Reverse().Select(i => (long)i), page.Items.Select(e => e.Id));
        Assert.All(page.Items, e => Assert.Equal(("api-key-create", "api-key-name-invalid"), (e.Action, e.Outcome)));
    }

    [Fact]
    public async Task FailedAuthenticationFlood_StoredAtBoundedRate_WritesStayInTheTrail()
    {
        using var server = new LoopbackRepository(new() { ["LivePatch:Audit:MaxEntries"] = "100" });
        await server.PublishAsync();
        using var guesser = server.Client($"lpk_0123456789ab_{Secret}");
        for (var i = 0; i < 150; i++)
        {
            await guesser.GetAsync("/v1/kernels");
        }

        server.Factory.Time.Advance(TimeSpan.FromMinutes(1));
        await guesser.GetAsync("/v1/kernels");

        using var admin = server.Client(server.Factory.AdminKey);
        var entries = (await AuditAsync(admin, "?limit=1000")).Items;
        Assert.Equal(AuditTrail.MaxStoredFailuresPerMinute + 3, entries.Count); // with the publish and the bootstrap key
        Assert.Equal("publish", entries[^2].Action);
        Assert.Equal(150 - AuditTrail.MaxStoredFailuresPerMinute, entries[0].NotStored);
    }

    [Fact]
    public async Task Audit_WithoutAnAdminKey_Refused()
    {
        using var server = new LoopbackRepository();
        using var publisher = server.Client(await server.Factory.CreateKeyAsync("publisher"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().GetAsync("/v1/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.GetAsync("/v1/audit")).StatusCode);
    }

    [Fact]
    public async Task Audit_FiltersAndPages_NewestFirst()
    {
        using var server = new LoopbackRepository();
        await server.PublishAsync();
        using var admin = server.Client(server.Factory.AdminKey);
        await admin.PostAsJsonAsync("/v1/api-keys", new { name = "a", role = "publisher" });
        await admin.PostAsJsonAsync("/v1/api-keys", new { name = "b", role = "publisher" });

        var first = await AuditAsync(admin, "?action=api-key-create&limit=1");
        var second = await AuditAsync(admin, $"?action=api-key-create&limit=1&after={first.Next}");
        var later = await AuditAsync(admin, $"?since={Uri.EscapeDataString(server.Factory.Time.GetUtcNow().AddMinutes(1).ToString("O"))}");
        var invalid = await admin.GetAsync("/v1/audit?action=reboot");

        Assert.Contains("(b, publisher)", Assert.Single(first.Items).Target);
        Assert.Contains("(a, publisher)", Assert.Single(second.Items).Target);
        Assert.NotNull(second.Next); // the bootstrap key's creation is older still
        Assert.Empty(later.Items);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("audit-filter-invalid", await invalid.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ClientAddress_ForwardedForFromAnUntrustedPeer_Ignored()
    {
        using var server = new LoopbackRepository();
        using var admin = server.Client(server.Factory.AdminKey);
        admin.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");

        await admin.PostAsJsonAsync("/v1/api-keys", new { name = "ci", role = "publisher" });

        Assert.Equal("127.0.0.1", (await AuditAsync(admin)).Items[0].ClientAddress);
    }

    [Fact]
    public async Task ClientAddress_ForwardedForFromATrustedProxy_Recorded()
    {
        using var server = new LoopbackRepository(new() { ["LivePatch:TrustedProxies:0"] = "127.0.0.1" });
        using var admin = server.Client(server.Factory.AdminKey);
        admin.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");

        await admin.PostAsJsonAsync("/v1/api-keys", new { name = "ci", role = "publisher" });

        Assert.Equal("203.0.113.7", (await AuditAsync(admin)).Items[0].ClientAddress);
    }

    [Fact]
    public async Task UpstreamSync_AuditedWithWhatItImported()
    {
        using var sites = new Upstream.SiteAndVendor();
        await sites.PublishAsync();
        await sites.SyncOkAsync();

        using var admin = sites.Site.CreateClient(sites.Site.AdminKey);
        var entry = Assert.Single((await AuditAsync(admin, "?action=upstream-sync")).Items);
        Assert.Equal(("ok", "bootstrap-admin"), (entry.Outcome, entry.KeyName));
        Assert.StartsWith($"{Upstream.SiteAndVendor.VendorId} index version ", entry.Target);
        Assert.Contains("1 imported", entry.Target);
    }

    [Fact]
    public async Task AccessLog_Enabled_OneLinePerRequestWithoutTheKey()
    {
        using var server = new LoopbackRepository(new() { ["LivePatch:AccessLog"] = "true" }, services => services.AddFakeLogging());
        await server.PublishAsync();
        using var client = server.Client();
        (await client.GetAsync($"/v1/manifests/stable/{Fixtures.BuildId}")).EnsureSuccessStatusCode();

        // A request's line is written when its response has ended, which may be just after the client has it.
        var lines = await AccessLinesAsync(server, until: lines => lines.Any(r => r.Message.Contains("/v1/manifests/")));

        var manifest = Assert.Single(lines, r => r.Message.Contains($"/v1/manifests/stable/{Fixtures.BuildId}"));
        Assert.Contains("StatusCode: 200", manifest.Message);
        Assert.Contains("ClientAddress: 127.0.0.1", manifest.Message);
        var publish = Assert.Single(lines, r => r.Message.Contains("/v1/patches"));
        Assert.DoesNotContain(server.Factory.AdminKey.Split('_', 3)[2], publish.Message);
        Assert.DoesNotContain("Authorization", publish.Message);
    }

    [Fact]
    public async Task AccessLog_Default_Off()
    {
        using var server = new LoopbackRepository(services: services => services.AddFakeLogging());
        (await server.Client().GetAsync("/v1/index")).EnsureSuccessStatusCode();

        Assert.DoesNotContain(server.Factory.Services.GetFakeLogCollector().GetSnapshot(), r => r.Category?.StartsWith("Microsoft.AspNetCore.HttpLogging", StringComparison.Ordinal) == true);
    }

    private static async Task<List<FakeLogRecord>> AccessLinesAsync(LoopbackRepository server, Func<List<FakeLogRecord>, bool> until)
    {
        for (var wait = 0; ; wait++)
        {
            var lines = server.Factory.Services.GetFakeLogCollector().GetSnapshot()
                .Where(r => r.Category?.StartsWith("Microsoft.AspNetCore.HttpLogging", StringComparison.Ordinal) == true).ToList();
            if (until(lines) || wait == 50)
            {
                return lines;
            }

            await Task.Delay(100);
        }
    }

    private static async Task<ListPage<AuditEntry>> AuditAsync(HttpClient admin, string query = "")
    {
        var response = await admin.GetAsync($"/v1/audit{query}");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync(RepositoryJsonContext.Default.ListPageAuditEntry))!;
    }

    private static Dictionary<string, string?> Channels() => new() { ["LivePatch:Channels:0"] = "candidate", ["LivePatch:Channels:1"] = "stable" };

    // Every category at every level: a secret must not appear even in a debug line of ASP.NET Core's authentication.
    private static Dictionary<string, string?> Verbose() => new() { ["Logging:LogLevel:Default"] = "Trace", ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace" };
}
