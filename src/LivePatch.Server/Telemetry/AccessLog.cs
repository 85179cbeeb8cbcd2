using LivePatch.Server.Configuration;
using Microsoft.AspNetCore.HttpLogging;

namespace LivePatch.Server.Telemetry;

/// <summary>The optional access log (<c>LivePatch:AccessLog=true</c>, off by default): one line per request through ASP.NET
/// Core's HTTP logging, category <c>Microsoft.AspNetCore.HttpLogging.HttpLoggingMiddleware</c>.</summary>
/// <remarks>
/// It logs the method, path, query, protocol, status, duration and the client address, and never a header or a body: the
/// API key travels in <c>Authorization</c>, and a publish's body is a module. Off by default because a fleet's polls are
/// thousands of lines a second and a proxy in front usually logs them already.
/// </remarks>
public static class AccessLog
{
    public const string Key = RepositoryOptions.Section + ":AccessLog";

    private const string Category = "Microsoft.AspNetCore.HttpLogging";

    public static void Add(WebApplicationBuilder builder)
    {
        if (!NetworkSettings.ReadSwitch(builder.Configuration, Key, defaultValue: false))
        {
            return;
        }

        builder.Services.AddHttpLogging(o =>
        {
            o.LoggingFields = HttpLoggingFields.RequestMethod | HttpLoggingFields.RequestPath | HttpLoggingFields.RequestQuery
                | HttpLoggingFields.RequestProtocol | HttpLoggingFields.ResponseStatusCode | HttpLoggingFields.Duration;
            o.RequestHeaders.Clear();
            o.ResponseHeaders.Clear();
            o.CombineLogs = true;
        });
        builder.Services.AddHttpLoggingInterceptor<ClientAddressInterceptor>();
        // appsettings.json keeps Microsoft.AspNetCore at Warning; the access log is Information.
        builder.Logging.AddFilter(Category, LogLevel.Information);
    }

    public static void Use(WebApplication app)
    {
        if (NetworkSettings.ReadSwitch(app.Configuration, Key, defaultValue: false))
        {
            app.UseHttpLogging();
        }
    }

    /// <summary>Adds who asked: the peer, or the client a trusted proxy named.</summary>
    private sealed class ClientAddressInterceptor : IHttpLoggingInterceptor
    {
        public ValueTask OnRequestAsync(HttpLoggingInterceptorContext logContext)
        {
            logContext.AddParameter("ClientAddress", logContext.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "");
            return ValueTask.CompletedTask;
        }

        public ValueTask OnResponseAsync(HttpLoggingInterceptorContext logContext) => ValueTask.CompletedTask;
    }
}
