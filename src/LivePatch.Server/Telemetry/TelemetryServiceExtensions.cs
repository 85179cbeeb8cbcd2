using LivePatch.Core.Repository;
using LivePatch.Server.Api;
using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace LivePatch.Server.Telemetry;

/// <summary>What operators watch, wired the same in both modes: the meter and <c>/metrics</c>, the client address behind
/// trusted proxies, and the optional access log.</summary>
public static class TelemetryServiceExtensions
{
    public static WebApplicationBuilder AddLivePatchTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddMetrics();
        services.AddSingleton<RepositoryMetrics>();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ProxyOptions>().BindConfiguration(RepositoryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies: not even loopback by default, so that no peer can claim another address.
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var network in NetworkSettings.ParseOrNull(proxies.Value.TrustedProxies) ?? [])
            {
                forwarded.KnownIPNetworks.Add(network);
            }
        });

        if (NetworkSettings.ReadSwitch(builder.Configuration, MetricsOptions.EnabledKey, defaultValue: true))
        {
            services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(RepositoryMetrics.MeterName)
                .AddAspNetCoreInstrumentation() // http.server.request.duration with http.route, Kestrel's connections
                .AddView("http.server.active_requests", MetricStreamConfiguration.Drop)
                .AddPrometheusExporter());
        }

        AccessLog.Add(builder);
        return builder;
    }

    /// <summary>First in the pipeline, before the read path: the client address from a trusted proxy, then the access log,
    /// so that both see every request. Each is there only when configured: the hot path pays for neither otherwise.</summary>
    public static WebApplication UseLivePatchFrontDoor(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ProxyOptions>>().Value.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        AccessLog.Use(app);
        return app;
    }

    /// <summary>Maps <c>/metrics</c> when metrics are on, open only to <c>LivePatch:Metrics:AllowedNetworks</c>.</summary>
    public static WebApplication MapLivePatchMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (!NetworkSettings.ReadSwitch(app.Configuration, MetricsOptions.EnabledKey, defaultValue: true))
        {
            return app;
        }

        var allowed = options.Networks();
        var refused = new RepositoryProblem(ProblemCodes.Forbidden,
            $"This address may not read {MetricsOptions.Path}: add it to {MetricsOptions.Section}:AllowedNetworks.");
        app.MapPrometheusScrapingEndpoint(MetricsOptions.Path, meterProvider: null, configureBranchedPipeline: branch =>
            branch.Use(next => context => NetworkSettings.Contains(allowed, context.Connection.RemoteIpAddress) ? next(context) : Problems.Write(context, refused)),
            optionsName: null);
        return app;
    }
}
