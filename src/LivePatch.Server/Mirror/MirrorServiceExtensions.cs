using LivePatch.Core.Mirrors;
using LivePatch.Server.Api;
using LivePatch.Server.Configuration;
using LivePatch.Server.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LivePatch.Server.Mirror;

/// <summary>Wires the mirror mode: the read paths served from a mirror tree, and nothing else of the repository (no
/// LiteDB, keys, signing, re-signer, writes or listings).</summary>
public static class MirrorServiceExtensions
{
    public static WebApplicationBuilder AddLivePatchMirror(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<MirrorOptions>()
            .BindConfiguration(RepositoryOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // A failed start is printed as one line by Program; the host would log it again with its stack trace.
        builder.Logging.AddFilter(StartFailure.HostLogCategory, LogLevel.None);
        services.AddSingleton<MirrorFiles>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = RequestProblems.AddCode);
        services.AddHealthChecks().AddCheck<MirrorTreeHealthCheck>("mirror-tree");
        builder.AddLivePatchTelemetry();
        return builder;
    }

    public static WebApplication MapLivePatchMirror(this WebApplication app)
    {
        app.UseLivePatchFrontDoor();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthChecks("/healthz");
        app.MapLivePatchMetrics();
        app.MapMirrorReadApi();
        var tree = app.Services.GetRequiredService<MirrorFiles>;
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<ILogger<MirrorFiles>>()
            .LogInformation("Serving the mirror tree {Root} read-only (channels {Channels})", tree().Root, string.Join(", ", tree().Channels())));
        return app;
    }
}

/// <summary>Unhealthy when the tree has lost its index (a removed or unmounted directory).</summary>
public sealed class MirrorTreeHealthCheck(MirrorFiles tree) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(Path.Combine(tree.Root, MirrorTree.IndexPath))
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"The mirror tree {tree.Root} has no {MirrorTree.IndexPath}."));
}
