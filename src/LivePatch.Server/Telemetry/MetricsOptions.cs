using System.ComponentModel.DataAnnotations;
using LivePatch.Server.Configuration;

namespace LivePatch.Server.Telemetry;

/// <summary>The <c>LivePatch:Metrics</c> section: whether <c>/metrics</c> exists, and who may read it.</summary>
/// <remarks>
/// Off the allow-list a scrape is refused (403 <c>forbidden</c>) before anything is collected. What the metrics say is not
/// secret (request counts, route names, signing times), but every scrape walks every stored manifest's facts and formats
/// every series: on a server open to the internet, anyone could make it do that in a loop. Prometheus usually scrapes from
/// a known address, so the default is this machine only (a Prometheus or an agent beside the server, or a proxy that
/// forwards the scrape); list the Prometheus server's address or network to scrape from elsewhere.
/// </remarks>
public sealed class MetricsOptions : IValidatableObject
{
    public const string Section = RepositoryOptions.Section + ":Metrics";

    public const string EnabledKey = Section + ":" + nameof(Enabled);

    /// <summary>The scrape path: the Prometheus convention.</summary>
    public const string Path = "/metrics";

    /// <summary>Where scrapes may come from when the setting lists none: loopback.</summary>
    public static readonly IReadOnlyList<string> DefaultNetworks = ["127.0.0.0/8", "::1/128"];

    /// <summary>False: no meter provider, no <c>/metrics</c> (404); the instruments cost a branch each.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Addresses or networks that may scrape; empty means <see cref="DefaultNetworks"/>.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (NetworkSettings.ParseOrNull(AllowedNetworks) is null)
        {
            yield return new($"{Section}:AllowedNetworks must list addresses or networks (10.0.0.5, 10.0.0.0/8, ::1): '{string.Join(", ", AllowedNetworks)}'.",
                [nameof(AllowedNetworks)]);
        }
    }

    /// <summary>The allow-list as networks (call after validation).</summary>
    public IReadOnlyList<System.Net.IPNetwork> Networks() => NetworkSettings.ParseOrNull(AllowedNetworks.Count > 0 ? AllowedNetworks : DefaultNetworks)!;
}
