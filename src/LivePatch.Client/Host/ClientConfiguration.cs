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

    public static void Validate(ClientOptions o, string source)
    {
        var problems = new List<string>();
        if (o.Repositories.Count == 0)
        {
            problems.Add("repositories: list at least one repository URL");
        }

        problems.AddRange(o.Repositories
            .Where(r => !Uri.TryCreate(r, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            .Select(r => $"repositories: '{r}' is not an http:// or https:// URL"));
        if (string.IsNullOrWhiteSpace(o.Channel) || !o.Channel.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            problems.Add($"channel: '{o.Channel}' is not a channel name (a-z, 0-9, '-')");
        }

        problems.AddRange(Files(o.TrustedRoots, "trustedRoots"));
        problems.AddRange(Files(o.ModuleKeyring, "moduleKeyring", directoriesAllowed: true));
        Check(problems, o.SignerThreshold >= 1, "signerThreshold: must be 1 or more");
        Check(problems, o.MaxManifestBytes is >= 1024 and <= 256 * 1024 * 1024, "maxManifestBytes: must be between 1024 and 268435456");
        Check(problems, o.MaxModuleBytes is >= 4096 and <= int.MaxValue, "maxModuleBytes: must be between 4096 and 2147483647");
        Check(problems, o.Interval >= TimeSpan.FromMinutes(1), "interval: must be at least 00:01:00");
        Check(problems, o.RandomDelay >= TimeSpan.Zero && o.PatchDelay >= TimeSpan.Zero, "randomDelay and patchDelay: must not be negative");
        Check(problems, o.PinLevel is null or >= 1, "pinLevel: must be 1 or more, or null");
        Check(problems, o.RequestTimeout >= TimeSpan.FromSeconds(1), "requestTimeout: must be at least 00:00:01");
        Check(problems, !string.IsNullOrWhiteSpace(o.StateDirectory) && !string.IsNullOrWhiteSpace(o.CacheDirectory), "stateDirectory and cacheDirectory: must be set");
        if (problems.Count > 0)
        {
            throw new ClientConfigurationException($"{source}: {string.Join("; ", problems)}.");
        }
    }

    /// <summary>The pinned roots and the module keyring, loaded once; unreadable files are configuration errors.</summary>
    public static (TrustPolicy Policy, ModuleKeyring Keyring) LoadTrust(ClientOptions o)
    {
        try
        {
            var policy = new TrustPolicy { Roots = TrustPolicy.LoadRoots(o.TrustedRoots), SignerThreshold = o.SignerThreshold, MaxClockSkew = o.MaxClockSkew };
            return (policy, ModuleKeyring.Load(o.ModuleKeyring));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or Core.LivePatchFormatException)
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

    private static void Check(List<string> problems, bool condition, string problem)
    {
        if (!condition)
        {
            problems.Add(problem);
        }
    }
}
