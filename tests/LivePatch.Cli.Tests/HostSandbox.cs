using System.Text.Json.Nodes;

namespace LivePatch.Cli.Tests;

/// <summary>A whole host in a temporary folder: client.json, state and cache directories, the kernel's files read
/// from fixtures, a stage loader and a repository nobody listens on (every network step fails at once, exit 3).</summary>
internal sealed class HostSandbox : IDisposable
{
    /// <summary>The fixture's /sys/kernel/notes build ID, as cached manifests are named.</summary>
    public static readonly string BuildId = FixtureFiles.ReadelfBuildId("notes", "notes-elf64-le.o");

    private readonly TempDirectory _dir = new();

    public HostSandbox()
    {
        Directory.CreateDirectory(StateDirectory);
        Directory.CreateDirectory(CacheDirectory);
        Directory.CreateDirectory(StageDirectory);
        System.IO.File.WriteAllText(KernelReleasePath, "6.1.0-test-amd64\n");
        System.IO.File.WriteAllText(BootIdPath, "3f0c6a52-8d0e-4b4f-9a39-2f1c0e6f7a11\n");
        System.IO.File.WriteAllText(UptimePath, "12345.67 23456.78\n");
        System.IO.File.WriteAllText(File("cmdline"), "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro\n");
        Config = new JsonObject
        {
            ["repositories"] = new JsonArray("http://127.0.0.1:1/"),
            ["trustedRoots"] = new JsonArray(FixtureFiles.PathOf("keys", "rsa2048.pem")),
            ["moduleKeyring"] = new JsonArray(FixtureFiles.PathOf("keys", "rsa2048.pem")),
            ["loader"] = new JsonObject { ["kind"] = "stage", ["stageDirectory"] = StageDirectory },
            ["stateDirectory"] = StateDirectory,
            ["cacheDirectory"] = CacheDirectory,
            ["kernelNotesPath"] = FixtureFiles.PathOf("notes", "sys-kernel-notes.bin"),
            ["kernelReleasePath"] = KernelReleasePath,
            ["kernelCommandLinePath"] = File("cmdline"),
            ["disableFile"] = File("disabled"),
            ["bootIdPath"] = BootIdPath,
            ["uptimePath"] = UptimePath,
            ["randomDelay"] = "00:00:00",
            ["retries"] = 0,
            ["retryDelay"] = "00:00:00",
            // No test waits for it to run out; at 1 s a loaded CI machine made a first request (JIT, TLS-free loopback,
            // a fake repository's first answer) miss it now and then, and the host exited 3 (no repository answered).
            ["requestTimeout"] = "00:00:10",
            ["lockWait"] = "00:00:00",
        };
    }

    /// <summary>What <see cref="WriteConfig"/> writes; change it first.</summary>
    public JsonObject Config { get; }

    public string ConfigPath => File("client.json");

    public string StateDirectory => File("state");

    public string CacheDirectory => File("cache");

    public string StageDirectory => File("stage");

    public string KernelReleasePath => File("osrelease");

    public string BootIdPath => File("boot_id");

    public string UptimePath => File("uptime");

    public string File(string name) => _dir.File(name);

    public string State(string name) => Path.Combine(StateDirectory, name);

    public void WriteConfig() => System.IO.File.WriteAllText(ConfigPath, Config.ToJsonString());

    /// <summary>The host commands' clock; null: the system's.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>Runs lpatch with <c>--config</c> pointing at this host's client.json.</summary>
    public CliRun Run(params string[] args) => Lpatch.RunAt(Clock, [.. args, "--config", ConfigPath]);

    public void Dispose() => _dir.Dispose();
}
