using LivePatch.Server.ReadPath;
using LivePatch.Core.Repository;
using LivePatch.Server.Api;
using LivePatch.Server.Audit;
using LivePatch.Server.Auth;
using LivePatch.Server.Configuration;
using LivePatch.Server.Hosts;
using LivePatch.Server.Health;
using LivePatch.Server.Manifests;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;
using LivePatch.Server.Ui;
using LivePatch.Server.Telemetry;
using LivePatch.Server.Upstream;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace LivePatch.Server;

/// <summary>Wires the repository into an ASP.NET Core application: services at build time, endpoints after.</summary>
public static class RepositoryServiceExtensions
{
    public static WebApplicationBuilder AddLivePatchRepository(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RepositoryOptions>()
            .BindConfiguration(RepositoryOptions.Section)
            .PostConfigure(o =>
            {
                if (o.Channels.Count == 0)
                {
                    o.Channels.Add("stable"); // the default configuration: one channel
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RepositoryOptions>, ProductionKeysValidation>();
        // A failed start is printed as one line by Program; the host would log it again with its stack trace.
        builder.Logging.AddFilter(StartFailure.HostLogCategory, LogLevel.None);
        services.AddOptions<SocketTransportOptions>().Configure<IOptions<RepositoryOptions>>((sockets, repository) =>
        {
            if (repository.Value.InlineSocketIo)
            {
                // Read once, when the runtime's socket engine starts: this runs when Kestrel creates its socket
                // transport, before the first socket. Not reached under TestServer, which has no sockets.
                Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
                sockets.UnsafePreferInlineScheduling = true;
            }
        });
        services.AddSingleton(TimeProvider.System);
        // Kestrel's socket buffers, reused last-in first-out (see WarmBlockPool); replaces Kestrel's own factory.
        services.AddSingleton<IMemoryPoolFactory<byte>, WarmBlockPoolFactory>();
        services.AddSingleton(sp => RepositoryKeys.Load(Options(sp), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RepositoryKeys>>(),
            mayGenerate: !sp.GetRequiredService<IHostEnvironment>().IsProduction()));
        services.AddSingleton(sp => new RepositoryDatabase(Options(sp).DataDirectory));
        services.AddSingleton(sp => new BlobStore(Options(sp).DataDirectory));
        services.AddSingleton<BlobCache>();
        services.AddSingleton<StoreMaintenance>();
        services.AddSingleton<KernelCatalog>();
        services.AddSingleton(sp => new PublishValidator(Options(sp), sp.GetRequiredService<RepositoryKeys>()));
        services.AddSingleton<ManifestService>();
        services.AddSingleton<CoverageService>();
        services.AddSingleton<IndexService>();
        services.AddSingleton<ManifestWriter>();
        services.AddSingleton<PatchService>();
        services.AddSingleton<PatchDeletion>();
        services.AddSingleton<PatchListings>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<ResignService>();
        services.AddSingleton<ISignedDocumentGauges, SignedDocumentGauges>();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AuditTrail>();
        builder.AddLivePatchTelemetry();
        services.AddHostedService<RepositoryStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<ResignService>());
        AddUpstream(services);
        services.AddHostReports();
        // The import logs one line per run; the HTTP client and Polly would log every GET (hundreds per run) at Information.
        builder.Logging.AddFilter($"System.Net.Http.HttpClient.{HttpMirrorSource.HttpClientName}", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(PatchesApi.PublisherPolicy, p => p.RequireRole(RepositoryRoles.Publisher, RepositoryRoles.Admin))
            .AddPolicy(ApiKeysApi.AdminPolicy, p => p.RequireRole(RepositoryRoles.Admin))
            .AddPolicy(HostsApi.ReporterPolicy, p => p.RequireRole(RepositoryRoles.Reporter, RepositoryRoles.Admin))
            .AddPolicy(HostsApi.ViewerPolicy, p => p.RequireRole(RepositoryRoles.Viewer, RepositoryRoles.Admin));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = RequestProblems.AddCode);
        services.AddExceptionHandler<RequestBodyExceptionHandler>();
        // The same answer in every environment: a body that does not bind throws, and the handler above explains it.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, RepositoryJsonContext.Default);
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        });
        AddReadinessChecks(builder);
        services.AddApiDescription();
        builder.AddDashboard(); // the operator's pages at /ui (Ui/)
        return builder;
    }

    public static WebApplication MapLivePatchRepository(this WebApplication app)
    {
        app.UseLivePatchFrontDoor(); // the client address behind trusted proxies, the access log: only when configured
        app.UseMiddleware<ReadPathMiddleware>(); // then the fleet's polls, which need nothing that follows
        // Explicit, so that WebApplication does not put route matching in front of the read path.
        app.UseRouting();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapDashboard();
        app.MapReadApi();
        app.MapPatchesApi();
        app.MapApiKeysApi();
        app.MapUpstreamApi();
        app.MapHostsApi();
        app.MapAuditApi();
        app.MapHealthEndpoints();
        app.MapLivePatchMetrics();
        app.MapApiDescription();
        return app;
    }

    /// <summary>A site repository's import from its vendor (<c>LivePatch:Upstream</c>): validated at start like the rest.</summary>
    private static void AddUpstream(IServiceCollection services)
    {
        services.AddOptions<UpstreamOptions>()
            .BindConfiguration(UpstreamOptions.Section)
            .ValidateDataAnnotations()
            .Validate<IOptions<RepositoryOptions>>((upstream, repository) => upstream.Channels.Values.All(repository.Value.Channels.Contains),
                "LivePatch:Upstream:Channels imports into a channel that is not in LivePatch:Channels.")
            .ValidateOnStart();
        // GETs only: the standard handler's retries with backoff and its time-outs; a blob read has the total time-out to finish.
        services.AddHttpClient(HttpMirrorSource.HttpClientName).AddStandardResilienceHandler(o =>
        {
            o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(30);
            o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(60);
            o.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(2);
        });
        services.AddSingleton<UpstreamImport>();
        services.AddHostedService<UpstreamSyncService>();
    }

    /// <summary>What <c>/readyz</c> checks in the repository mode (docs/api.md, "Health").</summary>
    private static void AddReadinessChecks(WebApplicationBuilder builder)
    {
        // Blocking I/O gets a time-out: a hung disk makes the check Unhealthy instead of holding /readyz.
        var io = TimeSpan.FromSeconds(5);
        builder.AddReadiness()
            .AddCheck<DatabaseHealthCheck>("database", timeout: io)
            .AddCheck<BlobStoreHealthCheck>("blob-store", timeout: io)
            .AddCheck<SigningChainHealthCheck>("signing-certificate")
            .AddCheck<ResignBacklogHealthCheck>("resign-backlog");
        // The checks keep state (a probe under way): one instance each, not one per run.
        builder.Services.AddSingleton<DatabaseHealthCheck>();
        builder.Services.AddSingleton<BlobStoreHealthCheck>();
    }

    private static RepositoryOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<RepositoryOptions>>().Value;
}
