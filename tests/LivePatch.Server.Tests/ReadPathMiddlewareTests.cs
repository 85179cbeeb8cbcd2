using LivePatch.Server.Configuration;
using LivePatch.Server.Manifests;
using LivePatch.Server.ReadPath;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Tests;

/// <summary>The middleware's own thread-pool context is for inline socket I/O only: without it, requests already run on
/// the thread pool, as ASP.NET Core runs them, and the rest of the pipeline sees no context of ours.</summary>
public sealed class ReadPathMiddlewareTests : IDisposable
{
    private readonly RepositoryFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task RequestItDoesNotAnswer_RunsUnderThreadPoolContextOnlyWithInlineSocketIo(bool inlineSocketIo, bool expectContext)
    {
        var options = _factory.Services.GetRequiredService<IOptions<RepositoryOptions>>().Value;
        options = new RepositoryOptions { RepositoryId = options.RepositoryId, Channels = options.Channels, InlineSocketIo = inlineSocketIo };
        SynchronizationContext? seen = null;
        var middleware = new ReadPathMiddleware(
            _ =>
            {
                seen = SynchronizationContext.Current;
                return Task.CompletedTask;
            },
            _factory.Services.GetRequiredService<ManifestService>(),
            _factory.Services.GetRequiredService<BlobCache>(),
            Options.Create(options),
            _factory.Services.GetRequiredService<LivePatch.Server.Telemetry.RepositoryMetrics>());
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Post;
        context.Request.Path = "/v1/patches";

        await middleware.InvokeAsync(context);

        Assert.Equal(expectContext, seen is ThreadPoolContext);
    }
}
