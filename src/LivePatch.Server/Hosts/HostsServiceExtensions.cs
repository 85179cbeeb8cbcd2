namespace LivePatch.Server.Hosts;

/// <summary>Host reports and the fleet questions: their settings (validated at start), store, ingest, queries and sweeper.</summary>
public static class HostsServiceExtensions
{
    public static IServiceCollection AddHostReports(this IServiceCollection services)
    {
        services.AddOptions<ReportsOptions>()
            .BindConfiguration(ReportsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<HostStore>();
        services.AddSingleton<HostReports>();
        services.AddSingleton<FleetQueries>();
        services.AddSingleton<HostSweeper>();
        // Resolved with the other hosted services, before RepositoryStartup drops LiteDB's page cache: the store reads every host
        // into memory once, there.
        services.AddHostedService(sp => sp.GetRequiredService<HostSweeper>());
        return services;
    }
}
