using LivePatch.Client.Loading;

namespace LivePatch.Client.Host;

/// <summary>The host client's configuration: /etc/lpatch/client.json (README "Host client").</summary>
public sealed class ClientOptions
{
    public const string DefaultPath = "/etc/lpatch/client.json";

    /// <summary>Repository URLs, tried in order (failover).</summary>
    public List<string> Repositories { get; set; } = [];

    /// <summary>The repository id the manifests must name (mix-and-match); null accepts the first repository's id and pins it in the state.</summary>
    public string? RepositoryId { get; set; }

    public string Channel { get; set; } = "stable";

    /// <summary>Pinned root certificates (PEM files).</summary>
    public List<string> TrustedRoots { get; set; } = [];

    /// <summary>Certificates the host kernel trusts for modules (PEM/DER files or folders).</summary>
    public List<string> ModuleKeyring { get; set; } = [];

    public int SignerThreshold { get; set; } = 1;

    public LoaderOptions Loader { get; set; } = new();

    public string StateDirectory { get; set; } = "/var/lib/lpatch";

    public string CacheDirectory { get; set; } = "/var/cache/lpatch";

    public string KernelNotesPath { get; set; } = "/sys/kernel/notes";

    public string KernelReleasePath { get; set; } = "/proc/sys/kernel/osrelease";

    /// <summary>Kernel command line, read for <c>lpatch.disable=1</c>.</summary>
    public string KernelCommandLinePath { get; set; } = "/proc/cmdline";

    /// <summary>When this file exists, automatic applying is off.</summary>
    public string DisableFile { get; set; } = "/etc/lpatch/disabled";

    /// <summary>Changes with every boot (/proc/sys/kernel/random/boot_id): the crash-loop guard notices a reboot by it.</summary>
    public string BootIdPath { get; set; } = "/proc/sys/kernel/random/boot_id";

    /// <summary>Seconds since boot (/proc/uptime): the crash-loop guard computes when this boot started from it.</summary>
    public string UptimePath { get; set; } = "/proc/uptime";

    /// <summary>A host that goes down this soon after an apply quarantines that patch.</summary>
    public TimeSpan CrashWindow { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan RandomDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Apply a patch only once it has been in the channel this long.</summary>
    public TimeSpan PatchDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Apply no level above this.</summary>
    public int? PinLevel { get; set; }

    /// <summary>Apply nothing published (in the channel) after this time.</summary>
    public DateTimeOffset? PinCutoff { get; set; }

    /// <summary>Allowed clock difference for a manifest's issue time.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    public long MaxManifestBytes { get; set; } = 1024 * 1024;

    public long MaxModuleBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Per-request time-out; retries and failover come on top.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a run waits for another lpatch run on the same state directory to finish before giving up (exit 5).</summary>
    public TimeSpan LockWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a transient failure (timeout, 5xx, connection refused) before moving to the next repository.</summary>
    public int Retries { get; set; } = 2;

    /// <summary>First back-off delay between retries; later ones grow exponentially, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Where to send a host report after each run (docs/reports.md); null (the default): no reports.</summary>
    public Reports.ReportOptions? Report { get; set; }
}
