using LivePatch.Core.Mirrors;
using LivePatch.Server.Api;
using LivePatch.Server.Configuration;
using LivePatch.Server.Health;
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
        builder.AddReadiness().AddCheck<MirrorTreeHealthCheck>("mirror-tree", timeout: MirrorTreeHealthCheck.Timeout);
        builder.AddLivePatchTelemetry();
        return builder;
    }

    public static WebApplication MapLivePatchMirror(this WebApplication app)
    {
        app.UseLivePatchFrontDoor();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthEndpoints();
        app.MapLivePatchMetrics();
        app.MapMirrorReadApi();
        var tree = app.Services.GetRequiredService<MirrorFiles>;
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<ILogger<MirrorFiles>>()
            .LogInformation("Serving the mirror tree {Root} read-only (channels {Channels})", tree().Root, string.Join(", ", tree().Channels())));
        return app;
    }
}

/// <summary>Ready when the tree's index can be opened and read whole, through the same checks a request's read goes through.</summary>
/// <remarks>Unhealthy when it is gone (a removed or unmounted directory), unreadable, larger than an index may be, or leads
/// out of the tree; the tree's path stays in the log (<see cref="MirrorFiles"/>), not in the anonymous body.</remarks>
public sealed class MirrorTreeHealthCheck(MirrorFiles tree) : IHealthCheck
{
    /// <summary>A read of a few KiB; a tree on a hung network mount fails the check rather than hold it.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await tree.ReadOrNullAsync(MirrorTree.IndexPath, MirrorFiles.MaxIndexBytes, cancellationToken) is null
                ? HealthCheckResult.Unhealthy($"The mirror tree has no readable {MirrorTree.IndexPath}: hosts cannot start a sync or find a bin here.")
                : HealthCheckResult.Healthy($"The mirror tree's {MirrorTree.IndexPath} reads.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return HealthCheckResult.Unhealthy($"The mirror tree's {MirrorTree.IndexPath} cannot be read, or is larger than an index may be.", e);
        }
    }
}
