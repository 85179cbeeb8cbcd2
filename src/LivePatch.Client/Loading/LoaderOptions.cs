namespace LivePatch.Client.Loading;

/// <summary>The <c>loader</c> section of client.json.</summary>
public sealed class LoaderOptions
{
    /// <summary><c>sysfs</c> (default), <c>kpatch</c>, <c>exec</c> or <c>stage</c>.</summary>
    public string Kind { get; set; } = "sysfs";

    /// <summary>Where the kernel lists livepatches; tests point it at a fake tree.</summary>
    public string SysfsRoot { get; set; } = "/sys/kernel/livepatch";

    public string Insmod { get; set; } = "insmod";

    public string Rmmod { get; set; } = "rmmod";

    /// <summary>Where the kernel lists loaded modules: a replaced module missing here was already unloaded.</summary>
    public string ModuleRoot { get; set; } = "/sys/module";

    /// <summary>The <c>kpatch</c> command, for the kpatch loader.</summary>
    public string Kpatch { get; set; } = "kpatch";

    /// <summary>How long a patch transition may take before the patch is disabled and unloaded again.</summary>
    public TimeSpan TransitionTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest any one command (insmod, rmmod, kpatch, the exec command) may run before it is killed.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>For the <c>stage</c> loader: where verified modules are placed.</summary>
    public string? StageDirectory { get; set; }

    /// <summary>For the <c>exec</c> loader: the site's command (run without a shell; metadata in LPATCH_* variables).</summary>
    public string? Command { get; set; }
}
