using System.Text.Json;
using LivePatch.Client.Updates;
using LivePatch.Core.Signing;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Host;

/// <summary>A client.json that cannot be used: the message names the setting and what is wrong with it.</summary>
public sealed class ClientConfigurationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Loads client.json and checks every setting before anything runs (a bad setting is exit 2, not a half-run).</summary>
public static class ClientConfiguration
{
    private const int MaxConfigBytes = 1024 * 1024;

    public static ClientOptions Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ClientConfigurationException($"{path} does not exist: write a client.json (samples/client.json) or pass --config FILE.");
        }

        ClientOptions? options;
        try
        {
            options = JsonSerializer.Deserialize(Core.FileBytes.ReadBounded(path, MaxConfigBytes), ClientJsonContext.Default.ClientOptions);
        }
        catch (JsonException e)
        {
            throw new ClientConfigurationException($"{path}: {e.Message}", e);
        }

        var validated = options ?? throw new ClientConfigurationException($"{path} is empty (null).");
        Validate(validated, path);
        return validated;
    }

    /// <summary>Retries beyond this only delay failover to the next repository.</summary>
    public const int MaxRetries = 10;

    /// <summary>The largest <c>pinLevel</c>: far above any real level, small enough that level arithmetic cannot overflow.</summary>
    public const int MaxPinLevel = 1_000_000;

    // Upper bounds keep every DateTimeOffset/TimeSpan sum the client does (publish + patchDelay, apply + crashWindow,
    // now + interval + randomDelay, issued ± maxClockSkew) far inside the representable range, so a typo such as an
    // extra digit is refused at load instead of throwing ArgumentOutOfRangeException in the middle of a run.
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MaxPatchDelay = TimeSpan.FromDays(3650);
    private static readonly TimeSpan MinCrashWindow = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxCrashWindow = TimeSpan.FromDays(1);
    private static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromDays(7);
    private static readonly TimeSpan MaxRandomDelay = TimeSpan.FromDays(1);
    private static readonly TimeSpan LargestClockSkew = TimeSpan.FromDays(1);
    private static readonly TimeSpan MinRequestTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromHours(1);
    private static readonly DateTimeOffset MinPinCutoff = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset MaxPinCutoff = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Checks every setting; all problems are reported together, each naming its setting.</summary>
    public static void Validate(ClientOptions o, string source)
    {
        ArgumentNullException.ThrowIfNull(o);
        var problems = new List<string>();
        ValidateSources(o, problems);
        ValidateLimits(o, problems);
        ValidateTimes(o, problems);
        ValidateRetries(o, problems);
        o.Report?.Validate(problems);
        if (problems.Count > 0)
        {
            throw new ClientConfigurationException($"{source}: {string.Join("; ", problems)}.");
        }
    }

    private static void ValidateSources(ClientOptions o, List<string> problems)
    {
        if (o.Repositories.Count == 0)
        {
            problems.Add("repositories: list at least one repository URL");
        }

        problems.AddRange(o.Repositories.Where(r => !IsRepositoryUrl(r))
            .Select(r => $"repositories: '{r}' is not an http://, https:// or file:/// URL"));
        if (string.IsNullOrWhiteSpace(o.Channel) || !o.Channel.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            problems.Add($"channel: '{o.Channel}' is not a channel name (a-z, 0-9, '-')");
        }

        problems.AddRange(Files(o.TrustedRoots, "trustedRoots"));
        problems.AddRange(Files(o.ModuleKeyring, "moduleKeyring", directoriesAllowed: true));
        Check(problems, !string.IsNullOrWhiteSpace(o.StateDirectory) && !string.IsNullOrWhiteSpace(o.CacheDirectory), "stateDirectory and cacheDirectory: must be set");
    }

    /// <summary>http(s), or a local folder holding a synced tree (<c>file:///path</c>, no host: a medium that is not mounted
    /// answers 404 like a mirror without the files, so its existence is not required here).</summary>
    public static bool IsRepositoryUrl(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme is "http" or "https"
            || (url!.StartsWith("file://", StringComparison.OrdinalIgnoreCase) && uri.IsFile && !uri.IsUnc && string.IsNullOrEmpty(uri.Host)));

    private static void ValidateLimits(ClientOptions o, List<string> problems)
    {
        Check(problems, o.SignerThreshold >= 1, "signerThreshold: must be 1 or more");
        Check(problems, o.MaxManifestBytes is >= 1024 and <= 256 * 1024 * 1024, "maxManifestBytes: must be between 1024 and 268435456");
        Check(problems, o.MaxModuleBytes is >= 4096 and <= int.MaxValue, "maxModuleBytes: must be between 4096 and 2147483647");
        Check(problems, o.PinLevel is null or (>= 1 and <= MaxPinLevel), $"pinLevel: must be between 1 and {MaxPinLevel}, or null");
        Check(problems, o.PinCutoff is null || (o.PinCutoff >= MinPinCutoff && o.PinCutoff <= MaxPinCutoff),
            $"pinCutoff: must be between {MinPinCutoff:yyyy-MM-dd} and {MaxPinCutoff:yyyy-MM-dd}, or null");
    }

    private static void ValidateTimes(ClientOptions o, List<string> problems)
    {
        CheckSpan(problems, "patchDelay", o.PatchDelay, TimeSpan.Zero, MaxPatchDelay);
        CheckSpan(problems, "crashWindow", o.CrashWindow, MinCrashWindow, MaxCrashWindow);
        CheckSpan(problems, "interval", o.Interval, MinInterval, MaxInterval);
        CheckSpan(problems, "randomDelay", o.RandomDelay, TimeSpan.Zero, MaxRandomDelay);
        CheckSpan(problems, "maxClockSkew", o.MaxClockSkew, TimeSpan.Zero, LargestClockSkew);

        // A run waits this long for another one (a timer run during a manual apply); past a few minutes it should say so.
        CheckSpan(problems, "lockWait", o.LockWait, TimeSpan.Zero, TimeSpan.FromMinutes(10));
    }

    // HostClient.Connect derives the whole call's time-out from these three; Polly refuses time-outs above one day
    // at pipeline build, so the bounds keep (retries + 1) * requestTimeout + 8 * retryDelay under that (11 h 40 min at most).
    private static void ValidateRetries(ClientOptions o, List<string> problems)
    {
        Check(problems, o.Retries is >= 0 and <= MaxRetries, $"retries: must be between 0 and {MaxRetries}");
        CheckSpan(problems, "retryDelay", o.RetryDelay, TimeSpan.Zero, MaxRetryDelay);
        CheckSpan(problems, "requestTimeout", o.RequestTimeout, MinRequestTimeout, MaxRequestTimeout);
    }

    /// <summary>The pinned roots and the module keyring, loaded once; unreadable files are configuration errors.</summary>
    public static (TrustPolicy Policy, ModuleKeyring Keyring) LoadTrust(ClientOptions o)
    {
        try
        {
            var policy = new TrustPolicy { Roots = TrustPolicy.LoadRoots(o.TrustedRoots), SignerThreshold = o.SignerThreshold, MaxClockSkew = o.MaxClockSkew };
            return (policy, ModuleKeyring.Load(o.ModuleKeyring));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException
            or Core.LivePatchFormatException)
        {
            throw new ClientConfigurationException($"trustedRoots / moduleKeyring: {e.Message}", e);
        }
    }

    private static IEnumerable<string> Files(List<string> paths, string setting, bool directoriesAllowed = false)
    {
        if (paths.Count == 0)
        {
            yield return $"{setting}: list at least one file";
        }

        foreach (var path in paths.Where(p => !File.Exists(p) && !(directoriesAllowed && Directory.Exists(p))))
        {
            yield return $"{setting}: '{path}' does not exist";
        }
    }

    private static void CheckSpan(List<string> problems, string setting, TimeSpan value, TimeSpan min, TimeSpan max) =>
        Check(problems, value >= min && value <= max, $"{setting}: must be between {min:c} and {max:c}");

    private static void Check(List<string> problems, bool condition, string problem)
    {
        if (!condition)
        {
            problems.Add(problem);
        }
    }
}
