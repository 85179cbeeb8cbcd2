using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LivePatch.Client.Tests;

/// <summary>A Kestrel server on 127.0.0.1 that answers every request with the test's own handler and records the
/// headers a redirect must keep or drop; for answers <see cref="LivePatch.Testing.FakeRepository"/> cannot give
/// (a Location header).</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<SeenRequest> _requests = new();

    private LoopbackServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<SeenRequest> Requests => [.. _requests];

    public static async Task<LoopbackServer> StartAsync(Func<HttpContext, Task> handle)
    {
        var server = new LoopbackServer(LoopbackApp.CreateBuilder().Build());
        server._app.Run(context =>
        {
            var headers = context.Request.Headers;
            server._requests.Enqueue(new SeenRequest(context.Request.Method, context.Request.Path + context.Request.QueryString,
                Header(headers.Authorization), Header(headers.Range), Header(headers.IfNoneMatch)));
            return handle(context);
        });
        server.Url = await LoopbackApp.StartAsync(server._app);
        return server;
    }

    /// <summary>A handler that answers <paramref name="status"/> with a Location header.</summary>
    public static Func<HttpContext, Task> Redirect(int status, string location) => context =>
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static string? Header(Microsoft.Extensions.Primitives.StringValues value) => value.Count > 0 ? value.ToString() : null;
}

/// <summary>What <see cref="LoopbackServer"/> saw of one request.</summary>
internal sealed record SeenRequest(string Method, string PathAndQuery, string? Authorization, string? Range, string? IfNoneMatch);
