using Microsoft.Extensions.Http.Resilience;
using LivePatch.Core.Repository;
using Refit;

namespace LivePatch.Client;

/// <summary>An <see cref="IRepositoryApi"/> for one server, with retries, time-outs and the API key; owns its HttpClient.</summary>
public sealed class RepositoryClient : IDisposable
{
    private readonly HttpClient _http;

    private RepositoryClient(HttpClient http, IRepositoryApi api, Uri server)
    {
        _http = http;
        Api = api;
        Server = server;
    }

    public IRepositoryApi Api { get; }

    /// <summary>The repository's URL as configured (for messages): the <c>file://</c> URL for a folder, not the synthetic
    /// base its HttpClient uses.</summary>
    public Uri Server { get; }

    /// <summary>Builds the client: SocketsHttpHandler without automatic redirects, then <see cref="RedirectPolicy"/>, then a
    /// resilience pipeline chosen per request method, then Refit's generated implementation with source-generated JSON
    /// (no reflection, so it stays Native AOT clean).</summary>
    /// <remarks>The redirect policy sits inside the pipeline so that one attempt's time-out covers all of its hops. A
    /// <c>file://</c> server is a tree in a folder, answered by <see cref="FileRepositoryHandler"/> under the same pipeline,
    /// so hosts verify it exactly as over HTTP.</remarks>
    public static RepositoryClient Create(RepositoryClientOptions options, HttpMessageHandler? primaryHandler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var folder = options.Server.IsFile;
        if (folder)
        {
            primaryHandler = new FileRepositoryHandler(options.Server.LocalPath);
        }

        var pipelines = new Dictionary<HttpMethod, Polly.ResiliencePipeline<HttpResponseMessage>>();
        var resilience = new ResilienceHandler(request => PipelineFor(pipelines, options, request.Method))
        {
            InnerHandler = new RedirectPolicy { InnerHandler = WithoutAutomaticRedirects(primaryHandler) },
        };

        // The pipeline owns time-outs (per attempt and in total); HttpClient's own would cut across retries.
        var http = new HttpClient(resilience)
        {
            BaseAddress = folder ? FileRepositoryHandler.SyntheticBase : WithTrailingSlash(options.Server),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.UserAgent.Add(UserAgent); // a repository's logs can tell lpatch's requests and versions apart
        var settings = RefitSettings.ForJsonContext(RepositoryJsonContext.Default);
        settings.AuthorizationHeaderValueGetter = (_, _) => ValueTask.FromResult(options.ApiKey ?? ""); // empty removes the header
        settings.Buffered = true; // a body buffered once can be sent again by a retry, and gets a Content-Length
        settings.ExceptionFactory = RepositoryErrors.FromResponseAsync;
        settings.TransportExceptionFactory = RepositoryErrors.FromTransport;
        return new RepositoryClient(http, RestService.ForGenerated<IRepositoryApi>(http, settings), WithTrailingSlash(options.Server));
    }

    /// <summary><c>lpatch/&lt;version&gt;</c>, the version without its source revision (<c>+commit</c>).</summary>
    public static System.Net.Http.Headers.ProductInfoHeaderValue UserAgent { get; } = new("lpatch",
        (typeof(RepositoryClient).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0").Split('+')[0]);

    public void Dispose() => _http.Dispose();

    private static Polly.ResiliencePipeline<HttpResponseMessage> PipelineFor(
        Dictionary<HttpMethod, Polly.ResiliencePipeline<HttpResponseMessage>> pipelines, RepositoryClientOptions options, HttpMethod method)
    {
        lock (pipelines)
        {
            if (!pipelines.TryGetValue(method, out var pipeline))
            {
                pipeline = RepositoryResilience.Build(options, method);
                pipelines[method] = pipeline;
            }

            return pipeline;
        }
    }

    // Redirects are RedirectPolicy's decision alone: a handler that followed them itself would bypass it.
    private static HttpMessageHandler WithoutAutomaticRedirects(HttpMessageHandler? handler)
    {
        switch (handler)
        {
            case null:
                return new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false };
            case SocketsHttpHandler sockets:
                sockets.AllowAutoRedirect = false;
                return sockets;
            case HttpClientHandler client:
                client.AllowAutoRedirect = false;
                return client;
            default:
                return handler;
        }
    }

    // Without the slash, a base URL with a path (https://host/repo) would lose its last segment when joined.
    private static Uri WithTrailingSlash(Uri server) =>
        server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");
}
