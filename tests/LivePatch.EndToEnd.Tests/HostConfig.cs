using System.Text.Json;

namespace LivePatch.EndToEnd.Tests;

/// <summary>A host's client.json for the end-to-end tests: the fixture kernel (its notes and release), private state and cache
/// folders under <c>root</c>, short retries, no random delay.</summary>
internal static class HostConfig
{
    public const string Release = "6.1.0-56-amd64"; // the fixture modules' vermagic

    public static string Write(string root, IReadOnlyList<string> repositories, string trustedRoot, object loader, string? keyring = null)
    {
        var release = Path.Combine(root, "osrelease");
        File.WriteAllText(release, Release + "\n");
        var config = new Dictionary<string, object?>
        {
            ["repositories"] = repositories,
            ["channel"] = "stable",
            ["trustedRoots"] = new[] { trustedRoot },
            ["moduleKeyring"] = new[] { keyring ?? FixtureFiles.PathOf("keys", "rsa2048.pem") },
            ["loader"] = loader,
            ["stateDirectory"] = Path.Combine(root, "state"),
            ["cacheDirectory"] = Path.Combine(root, "cache"),
            ["kernelNotesPath"] = FixtureFiles.PathOf("notes", "sys-kernel-notes.bin"),
            ["kernelReleasePath"] = release,
            ["kernelCommandLinePath"] = release,
            ["disableFile"] = Path.Combine(root, "disabled"),
            ["bootIdPath"] = release,
            ["retries"] = 1,
            ["retryDelay"] = "00:00:00.050",
            ["requestTimeout"] = "00:00:10",
            ["randomDelay"] = "00:00:00",
        };
        var path = Path.Combine(root, "client.json");
        File.WriteAllText(path, JsonSerializer.Serialize(config));
        return path;
    }
}
