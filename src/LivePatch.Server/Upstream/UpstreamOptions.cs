using System.ComponentModel.DataAnnotations;
using LivePatch.Core.Trust;
using LivePatch.Server.Configuration;

namespace LivePatch.Server.Upstream;

/// <summary>The <c>LivePatch:Upstream</c> section: the vendor repository a site repository imports from (docs/api.md, "Site
/// repositories"). Absent (no <see cref="Roots"/>) = not a site repository.</summary>
/// <remarks>The vendor's module keys are not a setting of their own: the site's <c>LivePatch:ModuleKeyring</c> is the keyring
/// its hosts are told to use, so an import checks a module against exactly what a publish and the hosts check it against.</remarks>
public sealed class UpstreamOptions : IValidatableObject
{
    public const string Section = "LivePatch:Upstream";

    /// <summary>http(s) URL of the vendor repository or a static mirror of its tree; null when only imports from a directory are used.</summary>
    public string? Url { get; set; }

    /// <summary>PEM files of the vendor's root certificates: what its index, bins and manifests must chain to.</summary>
    public List<string> Roots { get; set; } = [];

    /// <summary>The vendor's repository id; when set, an index naming another is refused (a root may sign several repositories).</summary>
    public string? Repository { get; set; }

    /// <summary>Upstream channel → site channel it is imported into (e.g. stable → candidate); empty = every site channel from the
    /// upstream channel of the same name.</summary>
    public Dictionary<string, string> Channels { get; set; } = [];

    /// <summary>How often the server imports from <see cref="Url"/>; zero = never by itself (imports on request only).</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.Zero;

    /// <summary>The largest bundle <c>POST /v1/upstream/import</c> takes (bytes as sent, compressed); its unpacked size is
    /// bounded too (<see cref="Core.Mirrors.Bundles.BundleLimits"/>).</summary>
    public long MaxBundleBytes { get; set; } = 16L * 1024 * 1024 * 1024;

    /// <summary>True when the section configures a vendor to import from.</summary>
    public bool IsConfigured => Roots.Count > 0;

    /// <summary>The upstream channels followed and the site channel each goes to.</summary>
    public IReadOnlyDictionary<string, string> ChannelMap(IReadOnlyList<string> siteChannels) =>
        Channels.Count > 0 ? Channels : siteChannels.ToDictionary(c => c, c => c, StringComparer.Ordinal);

    /// <summary>The vendor roots, read from <see cref="Roots"/>.</summary>
    public TrustPolicy TrustPolicy() => new() { Roots = Core.Trust.TrustPolicy.LoadRoots(Roots) };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var configured = IsConfigured || Url is not null || Channels.Count > 0 || SyncInterval != TimeSpan.Zero || Repository is not null;
        if (!configured)
        {
            yield break;
        }

        if (!IsConfigured)
        {
            yield return new($"{Section}:Roots must name the vendor's root certificate(s) (PEM) when {Section} is configured.", [nameof(Roots)]);
        }

        foreach (var problem in CheckRoots().Concat(CheckUrl()).Concat(CheckChannels()))
        {
            yield return new(problem);
        }

        if (SyncInterval < TimeSpan.Zero || (SyncInterval > TimeSpan.Zero && SyncInterval < TimeSpan.FromMinutes(1)))
        {
            yield return new($"{Section}:SyncInterval must be 00:00:00 (imports on request only) or at least 00:01:00.", [nameof(SyncInterval)]);
        }

        if (MaxBundleBytes < 1024)
        {
            yield return new($"{Section}:MaxBundleBytes must be at least 1024.", [nameof(MaxBundleBytes)]);
        }

        if (SyncInterval > TimeSpan.Zero && Url is null)
        {
            yield return new($"{Section}:SyncInterval needs {Section}:Url, the repository to import from.", [nameof(SyncInterval)]);
        }
    }

    private IEnumerable<string> CheckRoots()
    {
        foreach (var path in Roots)
        {
            string? problem = null;
            try
            {
                Core.Trust.TrustPolicy.LoadRoots([path]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                problem = $"{Section}:Roots: cannot read '{path}' as PEM certificates: {e.Message.ReplaceLineEndings(" ").Trim()}";
            }

            if (problem is not null)
            {
                yield return problem;
            }
        }
    }

    private IEnumerable<string> CheckUrl()
    {
        if (Url is not null && !(Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            yield return $"{Section}:Url must be an absolute http:// or https:// URL, not '{Url}'.";
        }
    }

    private IEnumerable<string> CheckChannels()
    {
        foreach (var (upstream, site) in Channels)
        {
            if (!RepositoryOptions.IsChannelName(upstream) || !RepositoryOptions.IsChannelName(site))
            {
                yield return $"{Section}:Channels: '{upstream}' → '{site}': both must be channel names (1-32 characters of a-z, 0-9, '-').";
            }
        }
    }
}
