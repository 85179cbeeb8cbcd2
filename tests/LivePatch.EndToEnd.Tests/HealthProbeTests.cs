using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LivePatch.EndToEnd.Tests;

/// <summary><c>LivePatch.Server --probe</c>, the container's HEALTHCHECK, run as a process the way Docker runs it: the
/// server's address from ASPNETCORE_URLS as the image sets it (a wildcard host), against a running server, a stopped one
/// and one that answers but not 200.</summary>
public sealed class HealthProbeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-probe-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Probe_RunningServerThenStopped_Exit0ThenExit1WithOneLine()
    {
        using var server = new ServerProcess(Path.Combine(_root, "data"));
        await server.StartAsync();

        var running = Probe($"http://0.0.0.0:{server.Port}");
        server.Stop();
        var stopped = Probe($"http://0.0.0.0:{server.Port}");

        Assert.True(running.Exit == 0, running.ToString());
        Assert.Equal("", running.Output + running.Error);
        Assert.True(stopped.Exit == 1, stopped.ToString());
        var line = Assert.Single(stopped.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"livepatch-server: probe: http://127.0.0.1:{server.Port}/healthz:", line);
        Assert.DoesNotContain("   at ", stopped.ToString());
    }

    [Fact]
    public async Task Probe_ServerAnswers503_Exit1NamingTheStatus()
    {
        var builder = LoopbackApp.CreateBuilder();
        await using var app = builder.Build();
        app.MapGet("/healthz", () => Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        var url = await LoopbackApp.StartAsync(app);

        var run = Probe($"http://*:{url.Port}");

        Assert.True(run.Exit == 1, run.ToString());
        Assert.Equal($"livepatch-server: probe: http://127.0.0.1:{url.Port}/healthz answered 503.", run.Error.Trim());
    }

    [Theory]
    [InlineData("https://0.0.0.0:8443", "no http:// address to probe")]
    [InlineData("http://127.0.0.1:0", "no known port to probe")]
    public void Probe_NoAddressItCanAsk_Exit1SayingWhy(string urls, string reason)
    {
        var run = Probe(urls);

        Assert.True(run.Exit == 1, run.ToString());
        Assert.Contains(reason, run.Error);
    }

    /// <summary>The probe as the image's HEALTHCHECK runs it: the server binary, <c>--probe</c>, the container's environment.</summary>
    private ProcessRun Probe(string urls) =>
        DotnetProcess.Run(Binaries.Server, new Dictionary<string, string> { ["ASPNETCORE_URLS"] = urls, ["ASPNETCORE_ENVIRONMENT"] = "Production" }, "--probe");
}
