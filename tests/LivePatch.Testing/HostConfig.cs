using System.Text.Json;
using System.Text.Json.Nodes;

namespace LivePatch.Testing;

/// <summary>A host's client.json for the tests that run the real lpatch: the fixture kernel (its notes and release), private state and cache
/// folders under <c>root</c>, short retries, no random delay.</summary>
public static class HostConfig
{
    public const string Release = "6.1.0-56-amd64"; // the fixture modules' vermagic

    public static string Write(string root, IReadOnlyList<string> repositories, string trustedRoot, object loader, string? keyring = null,
        string channel = "stable")
    {
        var release = Path.Combine(root, "osrelease");
        File.WriteAllText(release, Release + "\n");
        var config = new Dictionary<string, object?>
        {
            ["repositories"] = repositories,
            ["channel"] = channel,
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

    /// <summary>Turns reports on in the client.json at <paramref name="config"/>: to <paramref name="reportUrl"/> with the reporter
    /// <paramref name="key"/>, from a machine-id file of its own under <paramref name="root"/> (so two hosts on one machine are two
    /// hosts to the repository); <paramref name="hostname"/> false leaves the host's name out of its reports.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // lpatch and its file modes are Linux's
    public static void AddReport(string config, string root, string reportUrl, string key, string machineId, bool hostname = true)
    {
        var machineIdPath = Path.Combine(root, "machine-id");
        File.WriteAllText(machineIdPath, machineId + "\n");
        var token = Path.Combine(root, "reporter-key");
        File.WriteAllText(token, key + "\n");
        File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite); // lpatch refuses a key others can read
        var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        json["report"] = new JsonObject { ["url"] = reportUrl, ["tokenFile"] = token, ["machineIdPath"] = machineIdPath, ["hostname"] = hostname };
        File.WriteAllText(config, json.ToJsonString());
    }
}
