using LivePatch.Core;
using System.Net;
using LivePatch.Client.Tests.Updates;
using LivePatch.Client.Updates;
using LivePatch.Testing;

namespace LivePatch.Client.Tests;

public sealed class RepositoryResilienceTests(SimulatorPki pki) : IClassFixture<SimulatorPki>
{
    [Fact]
    public void Build_ZeroRetries_BuildsAPipelineWithoutARetry()
    {
        var options = new RepositoryClientOptions { Server = new Uri("http://127.0.0.1/"), MaxRetryAttempts = 0 };

        var pipeline = RepositoryResilience.Build(options, HttpMethod.Get);

        Assert.NotNull(pipeline);
    }

    [Fact]
    public void Build_NegativeRetries_Throws()
    {
        var options = new RepositoryClientOptions { Server = new Uri("http://127.0.0.1/"), MaxRetryAttempts = -1 };

        Assert.Throws<ArgumentOutOfRangeException>(() => RepositoryResilience.Build(options, HttpMethod.Get));
    }

    [Fact]
    public async Task Get503_ZeroRetries_AsksOnceAndReportsTheProblem()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(503, "unavailable", "Down.").Reply(200, Canned.Patch());
        using var client = RepositoryClient.Create(new RepositoryClientOptions { Server = server.Url, MaxRetryAttempts = 0 });

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.GetPatchAsync(7));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.Status);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Apply_RetriesZero_Repository503_OneRequestThenUnreachable()
    {
        await using var repository = await RepositorySimulator.StartAsync(pki);
        repository.Publish(ModuleFixtures.Signed, level: 1);
        repository.Fail(503);
        using var host = new TestHost(pki, repository.Url);
        host.Options.Retries = 0;

        var result = await host.ApplyAsync();

        var attempt = Assert.Single(result.Attempts);
        Assert.Equal((ErrorCategory.Unreachable, ClientErrorCodes.RepositoryUnreachable), (attempt.Category, attempt.Code));
        Assert.Contains("503", attempt.Message, StringComparison.Ordinal);
        Assert.Equal(1, repository.ManifestRequests);
    }
}
