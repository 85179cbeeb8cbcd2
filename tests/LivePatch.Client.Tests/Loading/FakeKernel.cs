using System.Runtime.Versioning;
using LivePatch.Client.Loading;

[assembly: SupportedOSPlatform("linux")]

namespace LivePatch.Client.Tests.Loading;

/// <summary>How the fake insmod behaves.</summary>
internal enum FakeInsmod
{
    /// <summary>The patch appears enabled with transition 0.</summary>
    Settles,

    /// <summary>Transition reads 1 and flips to 0 after 0.3 s, so the loader has to poll.</summary>
    SettlesLater,

    /// <summary>Transition stays 1 until enabled is set to 0 (the reversal then settles, as in the kernel).</summary>
    StallsUntilReversed,

    /// <summary>Transition stays 1 whatever happens.</summary>
    StallsForever,

    /// <summary>insmod exits 1 with kmod's message.</summary>
    Fails,
}

/// <summary>A fake /sys/kernel/livepatch and /sys/module in a temp dir, with insmod, rmmod and kpatch as bash scripts.</summary>
/// <remarks>
/// rmmod refuses a module missing from the module root ("not currently loaded"), like kmod; it appends
/// <c>&lt;name&gt; enabled=&lt;value&gt;</c> to <see cref="RemovedLog"/> for each module it unloads.
/// </remarks>
internal sealed class FakeKernel : IDisposable
{
    public FakeKernel(FakeInsmod insmod = FakeInsmod.Settles, string moduleName = "lp_sample")
    {
        Root = Directory.CreateTempSubdirectory("lpatch-loader-").FullName;
        Directory.CreateDirectory(SysfsRoot);
        Directory.CreateDirectory(ModuleRoot);
        Insmod = Script("insmod", InsmodScript(insmod, moduleName));
        Rmmod = Script("rmmod", RmmodScript());
    }

    public string Root { get; }

    public string SysfsRoot => Path.Combine(Root, "livepatch");

    public string ModuleRoot => Path.Combine(Root, "module");

    public string Insmod { get; }

    public string Rmmod { get; }

    public string InsmodLog => Path.Combine(Root, "insmod.log");

    public string RemovedLog => Path.Combine(Root, "removed.log");

    /// <summary>Makes rmmod fail as for a module in use.</summary>
    public string RmmodBusyFlag => Path.Combine(Root, "rmmod-busy");

    public static string FixtureModule(string file = "lp_sample.rsa2048-sha256.ko") =>
        FixtureFiles.PathOf("modules", file);

    public LoaderOptions Options() => new()
    {
        SysfsRoot = SysfsRoot,
        ModuleRoot = ModuleRoot,
        Insmod = Insmod,
        Rmmod = Rmmod,
        TransitionTimeout = TimeSpan.FromSeconds(1),
        CommandTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>A patch already in the kernel: its livepatch directory and its module entry.</summary>
    public void AddPatch(string name, bool enabled = true, bool inTransition = false)
    {
        var directory = Directory.CreateDirectory(Path.Combine(SysfsRoot, name)).FullName;
        File.WriteAllText(Path.Combine(directory, "enabled"), enabled ? "1\n" : "0\n");
        File.WriteAllText(Path.Combine(directory, "transition"), inTransition ? "1\n" : "0\n");
        AddModule(name);
    }

    /// <summary>A loaded module without a livepatch directory (a patch the kernel freed after an atomic replace).</summary>
    public void AddModule(string name) => Directory.CreateDirectory(Path.Combine(ModuleRoot, name));

    public string Read(string name, string attribute) => File.ReadAllText(Path.Combine(SysfsRoot, name, attribute)).Trim();

    public IReadOnlyList<string> Removed() => File.Exists(RemovedLog) ? File.ReadAllLines(RemovedLog) : [];

    public IReadOnlyList<string> InsmodCalls() => File.Exists(InsmodLog) ? File.ReadAllLines(InsmodLog) : [];

    /// <summary>Writes an executable bash script into the fake's directory.</summary>
    public string Script(string name, string body)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, "#!/bin/bash\n" + body);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private string InsmodScript(FakeInsmod mode, string name)
    {
        var dir = Path.Combine(SysfsRoot, name);
        var transition = mode is FakeInsmod.Settles ? 0 : 1;
        var background = mode switch
        {
            FakeInsmod.SettlesLater => $"(sleep 0.3; echo 0 > '{dir}/transition') >/dev/null 2>&1 &",
            FakeInsmod.StallsUntilReversed => $$"""
                (for i in $(seq 200); do
                   [ "$(cat '{{dir}}/enabled' 2>/dev/null)" = 0 ] && { sleep 0.2; echo 0 > '{{dir}}/transition'; exit; }
                   sleep 0.05
                 done) >/dev/null 2>&1 &
                """,
            _ => "",
        };
        var fail = mode is FakeInsmod.Fails
            ? "echo \"insmod: ERROR: could not insert module $1: Invalid module format\" >&2; exit 1"
            : "";
        return $"""
            set -e
            magic=$(head -c 4 "$1" | tail -c 3)
            echo "$1 $magic" >> '{InsmodLog}'
            {fail}
            mkdir -p '{dir}' '{Path.Combine(ModuleRoot, name)}'
            echo 1 > '{dir}/enabled'
            echo {transition} > '{dir}/transition'
            {background}
            """;
    }

    private string RmmodScript() => $"""
        if [ ! -d '{ModuleRoot}'/"$1" ]; then echo "rmmod: ERROR: Module $1 is not currently loaded" >&2; exit 1; fi
        if [ -e '{RmmodBusyFlag}' ]; then echo "rmmod: ERROR: Module $1 is in use" >&2; exit 1; fi
        echo "$1 enabled=$(cat '{SysfsRoot}'/"$1"/enabled 2>/dev/null || echo gone)" >> '{RemovedLog}'
        rm -rf '{SysfsRoot}'/"$1" '{ModuleRoot}'/"$1"
        """;
}
