using System.Security.Cryptography;
using System.Text.Json;
using LivePatch.Client.Host;
using LivePatch.Client.Loading;
using LivePatch.Client.Updates;
using Microsoft.Extensions.Time.Testing;

namespace LivePatch.Client.Tests.Updates;

/// <summary>What the host trusts and what reached its loader, to compare before and after an attack.</summary>
/// <param name="Staged">Each staged file as "name sha256", sorted: the stage loader's view of what is loaded.</param>
/// <param name="Applied">The state's applied patches (JSON).</param>
/// <param name="Trust">The state's manifest and coverage bin versions, pinned repository id and "not covered" record (JSON).</param>
public sealed record HostSnapshot(string Staged, string Applied, string Trust);

/// <summary>One simulated host: its own state, cache, stage directory and kernel files under a temp folder, a fake clock set
/// to the simulator's, and an engine built as <see cref="HostClient.Create"/> builds it. Each <see cref="Engine"/> call is a
/// fresh run of the client (a new process), sharing only what is on disk.</summary>
public sealed class TestHost : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-host-").FullName;

    public TestHost(SimulatorPki pki, params Uri[] repositories)
    {
        var rootPem = Write("trust/root.pem", pki.RootPem());
        Options = new ClientOptions
        {
            Repositories = [.. repositories.Select(r => r.ToString())],
            TrustedRoots = [rootPem],
            ModuleKeyring = [FixtureFiles.PathOf("keys", "rsa2048.pem")],
            StateDirectory = Path.Combine(_root, "state"),
            CacheDirectory = Path.Combine(_root, "cache"),
            KernelNotesPath = FixtureFiles.PathOf("notes", "sys-kernel-notes.bin"),
            KernelReleasePath = Write("proc/osrelease", ModuleFixtures.KernelRelease + "\n"),
            KernelCommandLinePath = Write("proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet\n"),
            DisableFile = Path.Combine(_root, "etc/disabled"),
            BootIdPath = Write("proc/boot_id", "6f1c2a4e-0b7d-4c55-9a43-3d1e8f0c2b11\n"),
            UptimePath = Write("proc/uptime", "86400.00 170000.00\n"),
            Loader = new LoaderOptions { Kind = PatchLoaderFactory.Stage, StageDirectory = StageDirectory },
            Retries = 1,
            RetryDelay = TimeSpan.FromMilliseconds(50),
            RequestTimeout = TimeSpan.FromSeconds(3),
        };
    }

    public ClientOptions Options { get; }

    public FakeTimeProvider Clock { get; } = new(SimulatorPki.Now);

    public string StageDirectory => Path.Combine(_root, "stage");

    public string PartialDirectory => Path.Combine(Options.CacheDirectory, "partial");

    public ClientState State => new StateStore(Options.StateDirectory).Load();

    /// <summary>A new run of the client, built like <see cref="HostClient.Create"/> (trust loaded from the files named in the options).</summary>
    public UpdateEngine Engine(IPatchLoader? loader = null)
    {
        var (policy, keyring) = ClientConfiguration.LoadTrust(Options);
        return new UpdateEngine(Options, policy, keyring, loader ?? PatchLoaderFactory.Create(Options.Loader, Clock), Guard(), Clock,
            url => HostClient.Connect(url, Options));
    }

    public CrashLoopGuard Guard() => new(Options, Clock);

    public async Task<UpdateResult> ApplyAsync() => await Engine().ApplyAsync(dryRun: false, progress: null, Timeout());

    public async Task<UpdateResult> CheckAsync() => await Engine().CheckAsync(Timeout());

    public async Task<UpdateResult> RemoveAsync(string name) => await Engine().RemoveAsync(name, Timeout());

    public string StatePath(string file) => Path.Combine(Options.StateDirectory, file);

    public void SetKernelRelease(string release) => File.WriteAllText(Options.KernelReleasePath, release + "\n");

    /// <summary>Writes state.json as lpatch would keep it: a private folder and file.</summary>
    public void WriteState(string json)
    {
        Directory.CreateDirectory(Options.StateDirectory);
        File.SetUnixFileMode(Options.StateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(StatePath("state.json"), json);
        File.SetUnixFileMode(StatePath("state.json"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>The bytes staged for a module name, or null when nothing is staged under it.</summary>
    public byte[]? StagedOrNull(string name)
    {
        var path = Path.Combine(StageDirectory, name + ".ko");
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    public HostSnapshot Snapshot()
    {
        var staged = Directory.Exists(StageDirectory)
            ? Directory.EnumerateFiles(StageDirectory).Order(StringComparer.Ordinal)
                .Select(f => $"{Path.GetFileName(f)} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))}")
            : [];
        var state = State;
        var context = ClientJsonContext.Default;
        return new HostSnapshot(string.Join("\n", staged),
            JsonSerializer.Serialize(new ClientState { Applied = state.Applied }, context.ClientState),
            JsonSerializer.Serialize(new ClientState
            {
                Versions = state.Versions, RepositoryId = state.RepositoryId, CoverageVersions = state.CoverageVersions, NotCovered = state.NotCovered,
            }, context.ClientState));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Every run is bounded: a hung client fails the test instead of hanging it.</summary>
    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private string Write(string relative, string content)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }
}
