using System.Net;
using LivePatch.Core.Repository;

namespace LivePatch.Server.Tests.Hosts;

/// <summary>The reporter and viewer roles open exactly what they are for: each refusal is an attack a leaked key would try.</summary>
public sealed class FleetAuthTests : IDisposable
{
    private static readonly string[] FleetReads = ["/v1/hosts", "/v1/hosts/summary", $"/v1/hosts/{FleetServer.MachineId("a")}", "/v1/cves/CVE-2024-1086", "/v1/patches/1/health"];

    private readonly FleetServer _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Reporter_ReadsFleetPublishesOrManagesKeys_403AndNothingChanges()
    {
        await _server.PublishAsync(FleetServer.Rsa);
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);

        foreach (var path in FleetReads)
        {
            await PublishTests.AssertProblemAsync(await reporter.GetAsync(path), HttpStatusCode.Forbidden, "forbidden");
        }

        await PublishTests.AssertProblemAsync(await reporter.PostAsync("/v1/patches", Fixtures.Upload(FleetServer.Ecdsa)), HttpStatusCode.Forbidden, "forbidden");
        await PublishTests.AssertProblemAsync(await reporter.PostAsJsonAsync("/v1/patches/1/revoke", new RevokeRequest("x")), HttpStatusCode.Forbidden, "forbidden");
        await PublishTests.AssertProblemAsync(await reporter.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("mine", "admin")), HttpStatusCode.Forbidden, "forbidden");
        await PublishTests.AssertProblemAsync(await reporter.GetAsync("/v1/api-keys"), HttpStatusCode.Forbidden, "forbidden");
        Assert.Single(await Listings.PatchesAsync(reporter));
        Assert.Null((await reporter.GetFromJsonAsync<PatchInfo>("/v1/patches/1"))!.Revoked);
    }

    [Fact]
    public async Task Viewer_ReportsPublishesOrManagesKeys_403AndNothingStored()
    {
        using var viewer = await _server.ClientWithRoleAsync(RepositoryRoles.Viewer);

        await PublishTests.AssertProblemAsync(await FleetServer.PostAsync(viewer, FleetServer.Report("a")), HttpStatusCode.Forbidden, "forbidden");
        await PublishTests.AssertProblemAsync(await viewer.PostAsync("/v1/patches", Fixtures.Upload(FleetServer.Rsa)), HttpStatusCode.Forbidden, "forbidden");
        await PublishTests.AssertProblemAsync(await viewer.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("mine", "admin")), HttpStatusCode.Forbidden, "forbidden");
        await PublishTests.AssertProblemAsync(await viewer.PostAsync("/v1/upstream/sync", null), HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, _server.Store.Count);
        Assert.Empty(await Listings.PatchesAsync(viewer));
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/v1/hosts")).StatusCode);
    }

    [Fact]
    public async Task Anonymous_ReportsOrReadsFleet_401()
    {
        using var anonymous = _server.Client(key: null);

        await PublishTests.AssertProblemAsync(await FleetServer.PostAsync(anonymous, FleetServer.Report("a")), HttpStatusCode.Unauthorized, "unauthenticated");
        foreach (var path in FleetReads)
        {
            await PublishTests.AssertProblemAsync(await anonymous.GetAsync(path), HttpStatusCode.Unauthorized, "unauthenticated");
        }

        Assert.Equal(0, _server.Store.Count);
    }

    [Fact]
    public async Task Admin_ReportsAndReadsFleet()
    {
        using var admin = await _server.ClientWithRoleAsync(RepositoryRoles.Admin);

        await FleetServer.PostOkAsync(admin, FleetServer.Report("a"));

        Assert.Equal(FleetServer.MachineId("a"), (await admin.GetFromJsonAsync<ListPage<HostInfo>>("/v1/hosts"))!.Items.Single().MachineId);
    }

    [Fact]
    public async Task Reporter_PatchListing_HidesPublisherKeyName()
    {
        await _server.PublishAsync(FleetServer.Rsa);
        using var reporter = await _server.ClientWithRoleAsync(RepositoryRoles.Reporter);
        using var viewer = await _server.ClientWithRoleAsync(RepositoryRoles.Viewer);

        Assert.Null((await reporter.GetFromJsonAsync<PatchInfo>("/v1/patches/1"))!.Publisher);
        Assert.Equal("bootstrap-admin", (await viewer.GetFromJsonAsync<PatchInfo>("/v1/patches/1"))!.Publisher);
    }

    [Theory]
    [InlineData("reporter")]
    [InlineData("viewer")]
    public async Task CreateKey_NewRoles_201WithThatRole(string role)
    {
        using var admin = _server.Client(_server.Repository.AdminKey);

        var response = await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest($"fleet-{role}", role));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(role, (await response.Content.ReadFromJsonAsync<ApiKeyInfo>())!.Role);
    }
}
