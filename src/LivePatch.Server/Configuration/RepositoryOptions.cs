using LivePatch.Server.ReadPath;
using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace LivePatch.Server.Configuration;

/// <summary>The <c>LivePatch</c> configuration section (appsettings.json, or LIVEPATCH__… environment variables).</summary>
public sealed partial class RepositoryOptions : IValidatableObject
{
    public const string Section = "LivePatch";

    /// <summary>Folder for the LiteDB file, the blob store and (in development) generated keys.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>The repository id written into every manifest; clients check it (mix-and-match).</summary>
    [Required]
    [RegularExpression("^[a-z0-9][a-z0-9.-]{0,62}$", ErrorMessage = "LivePatch:RepositoryId must be 1-63 characters of a-z, 0-9, '.', '-' (it is written into every manifest).")]
    public string RepositoryId { get; set; } = "dev";

    /// <summary>Channels in promotion order; a publish goes to the first unless told otherwise.</summary>
    public List<string> Channels { get; set; } = [];

    /// <summary>How long a signed manifest is valid; it is re-signed when less than half remains.</summary>
    public TimeSpan ManifestLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest module upload accepted, in bytes.</summary>
    [Range(4096, 1L << 30, ErrorMessage = "LivePatch:MaxModuleBytes must be from 4096 to 1073741824.")]
    public long MaxModuleBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest batch publish (<c>POST /v1/patches/batch</c>: every module and the description) accepted, in bytes;
    /// a batch is held in memory while its modules are checked.</summary>
    [Range(4096, 1L << 30, ErrorMessage = "LivePatch:MaxBatchBytes must be from 4096 to 1073741824.")]
    public long MaxBatchBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>Largest manifest (serialized JSON, before signing) a publish or promotion may produce; see <see cref="MaxManifestBytesLimit"/>.</summary>
    [Range(4096, MaxManifestBytesLimit, ErrorMessage = "LivePatch:MaxManifestBytes must be from 4096 to 983040 (hosts refuse manifests above 1 MiB by default).")]
    public int MaxManifestBytes { get; set; } = 256 * 1024;

    /// <summary>Hosts' default <c>maxManifestBytes</c> (1 MiB) less 64 KiB for the CMS signature and its certificates.</summary>
    public const int MaxManifestBytesLimit = 1024 * 1024 - 64 * 1024;

    /// <summary>Manifest signing certificate and key; when both are empty, development keys are generated in the data folder.</summary>
    public SigningOptions Signing { get; set; } = new();

    /// <summary>Certificates (files or folders) whose module signatures the server accepts; empty = the development module key.</summary>
    public List<string> ModuleKeyring { get; set; } = [];

    /// <summary>
    /// Handle requests on the socket's event thread instead of handing each one to the thread pool (Kestrel's
    /// <c>UnsafePreferInlineScheduling</c> with the runtime's <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>).
    /// Only the in-memory read path runs there; everything else is moved to the thread pool (see
    /// <c>ThreadPoolContext</c>). False restores ASP.NET Core's default scheduling.
    /// </summary>
    public bool InlineSocketIo { get; set; } = true;

    /// <summary><c>tuned</c> (the default) or <c>simple</c>: how stored manifests are held and where Kestrel's buffers come
    /// from (<see cref="ReadPathSetting"/>).</summary>
    public string ReadPath { get; set; } = "tuned";

    /// <summary>The design <see cref="ReadPath"/> names; validation has refused any other value at start.</summary>
    public ReadPathDesign ChosenReadPath() => ReadPathSetting.ParseOrNull(ReadPath) ?? Server.ReadPath.ReadPathDesign.Tuned;

    /// <summary>The URL hosts and publishers reach this repository at (behind any proxy), e.g. <c>https://patches.example.org/</c>:
    /// the OpenAPI document's only <c>servers</c> entry. Unset (or empty): the document names no server, never the request's Host header.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Serve <c>/openapi/v1.json</c> and <c>/scalar</c>; unset: only in the Development environment.</summary>
    public bool? ApiReference { get; set; }

    /// <summary>API keys given by configuration, stored as SHA-256 of the whole key (in addition to keys made through the API).</summary>
    public List<ConfiguredApiKey> ApiKeys { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Channels.Count == 0)
        {
            yield return new("LivePatch:Channels must list at least one channel.", [nameof(Channels)]);
        }

        foreach (var channel in Channels.Where(c => !ChannelName().IsMatch(c)))
        {
            yield return new($"LivePatch:Channels: '{channel}' is not a channel name (1-32 characters of a-z, 0-9, '-').", [nameof(Channels)]);
        }

        if (Channels.Distinct(StringComparer.Ordinal).Count() != Channels.Count)
        {
            yield return new("LivePatch:Channels lists a channel twice.", [nameof(Channels)]);
        }

        if (ManifestLifetime < TimeSpan.FromMinutes(10))
        {
            yield return new("LivePatch:ManifestLifetime must be at least 00:10:00 (hosts check hourly by default).", [nameof(ManifestLifetime)]);
        }

        if (string.IsNullOrEmpty(Signing.Certificate) != string.IsNullOrEmpty(Signing.Key))
        {
            yield return new("LivePatch:Signing needs both Certificate and Key, or neither (development keys).", [nameof(Signing)]);
        }

        // Missing key files stop the server here, at start, with the setting named (not on the first publish).
        foreach (var (setting, path) in KeyFiles().Where(f => !File.Exists(f.Path) && !Directory.Exists(f.Path)))
        {
            yield return new($"{setting}: '{path}' does not exist.", [nameof(Signing)]);
        }

        if (ReadPathSetting.ParseOrNull(ReadPath) is null)
        {
            yield return new($"{ReadPathSetting.Key} is '{ReadPath}', which is neither tuned (the default) nor simple.", [nameof(ReadPath)]);
        }

        if (!string.IsNullOrEmpty(PublicUrl) && !IsPublicUrl(PublicUrl))
        {
            yield return new("LivePatch:PublicUrl must be an absolute http:// or https:// URL without user name, query or fragment "
                + $"(at most {MaxPublicUrlLength} characters), e.g. https://patches.example.org/.", [nameof(PublicUrl)]);
        }

        foreach (var key in ApiKeys.Where(k => !k.IsValid))
        {
            yield return new($"LivePatch:ApiKeys: '{key.Name}' needs a Name ({Auth.ApiKeyService.NameRule}), a Role ({string.Join(", ", Core.Repository.RepositoryRoles.All)}) and Sha256 (64 hex digits).", [nameof(ApiKeys)]);
        }
    }

    private IEnumerable<(string Setting, string Path)> KeyFiles()
    {
        if (!string.IsNullOrEmpty(Signing.Certificate))
        {
            yield return ("LivePatch:Signing:Certificate", Signing.Certificate);
        }

        if (!string.IsNullOrEmpty(Signing.Key))
        {
            yield return ("LivePatch:Signing:Key", Signing.Key);
        }

        foreach (var (list, name) in new[] { (Signing.Chain, "Signing:Chain"), (Signing.Roots, "Signing:Roots"), (ModuleKeyring, "ModuleKeyring") })
        {
            foreach (var path in list.Where(p => !string.IsNullOrEmpty(p)))
            {
                yield return ($"LivePatch:{name}", path);
            }
        }
    }

    private const int MaxPublicUrlLength = 2048;

    private static bool IsPublicUrl(string value) =>
        value.Length <= MaxPublicUrlLength && Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
        && url.UserInfo.Length == 0 && url.Query.Length == 0 && url.Fragment.Length == 0;

    public static bool IsChannelName(string? value) => value is not null && ChannelName().IsMatch(value);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex ChannelName();
}

/// <summary>Where the online manifest signing key lives.</summary>
public sealed class SigningOptions
{
    public string? Certificate { get; set; }

    public string? Key { get; set; }

    /// <summary>Intermediate certificates shipped in each signature (never the root).</summary>
    public List<string> Chain { get; set; } = [];

    /// <summary>Root certificate(s): the server checks at start that its own signatures verify against them.</summary>
    public List<string> Roots { get; set; } = [];
}

/// <summary>An API key from configuration: its name, role and the SHA-256 (hex) of the whole key.</summary>
public sealed class ConfiguredApiKey
{
    public string Name { get; set; } = "";

    public string Role { get; set; } = "";

    public string Sha256 { get; set; } = "";

    /// <summary>What keys made through the API never start with (their ids are hex).</summary>
    public const string IdPrefix = "config-";

    /// <summary>An id for the key, as the API's keys have one: from its hash, so that a key replaced under the same name
    /// is another key (a dashboard session of the old one ends).</summary>
    public string Id => IdPrefix + Sha256[..Math.Min(16, Sha256.Length)].ToLowerInvariant();

    public bool IsValid => Auth.ApiKeyService.IsValidName(Name) && Core.Repository.RepositoryRoles.IsKnown(Role)
        && Sha256.Length == 64 && Sha256.All(Uri.IsHexDigit);
}
