using System.Net;

namespace LivePatch.Server.Tests;

/// <summary>Uploads built to cost far more to parse than they weigh: refused as format errors, and the server
/// keeps answering. The modules are tests/fixtures/amplification (make-amplification.py).</summary>
public sealed class PublishAmplificationTests : IDisposable
{
    private readonly RepositoryFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Publish_SectionsSharingTwoMiBName_400ElfMalformedAndServerStaysHealthy()
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        var module = File.ReadAllBytes(FixtureFiles.PathOf("amplification", "elf-names.ko.gz"));

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(module, ("buildId", Fixtures.BuildId)));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "elf-malformed");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/index")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        await PublishTests.AssertNothingStoredAsync(client, _factory);
    }

    [Fact]
    public async Task Publish_XzBomb_413FileTooLargeAndServerStaysHealthy()
    {
        using var factory = new RepositoryFactory(new() { ["LivePatch:MaxModuleBytes"] = (8 * 1024 * 1024).ToString() });
        using var client = factory.CreateClient(factory.AdminKey);
        var bomb = File.ReadAllBytes(FixtureFiles.PathOf("amplification", "zeros-64MiB.xz"));

        var response = await client.PostAsync("/v1/patches", Fixtures.Upload(bomb, ("buildId", Fixtures.BuildId)));

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "file-too-large");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/index")).StatusCode);
    }
}
