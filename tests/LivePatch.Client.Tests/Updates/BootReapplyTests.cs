using LivePatch.Client.Host;
using LivePatch.Client.Loading;
using LivePatch.Client.Tests.Loading;
using LivePatch.Client.Updates;
using LivePatch.Core;
using LivePatch.Core.Manifests;

namespace LivePatch.Client.Tests.Updates;

/// <summary><c>lpatch apply --boot</c> against the fake sysfs tree: a host applies through the network, "reboots" (the fake
/// kernel forgets its patches, a new boot ID, the clock moves on) and re-applies from its cache, or refuses, without a request.</summary>
public sealed class BootReapplyTests(SimulatorPki pki) : SimulatorTests(pki), IDisposable
{
    private const string Name = "lp_sample";
    private static readonly ModuleFixture Module = ModuleFixtures.Signed;
    private readonly FakeKernel _kernel = new();
    private ManifestPatch _patch = null!;
    private int _boots;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _patch = Sim.Publish(Module, level: 1);
        Host.Options.Loader = _kernel.Options();
    }

    [Fact]
    public async Task ApplyAtBoot_SameKernelAfterReboot_ReappliedFromTheCacheWithoutARequest()
    {
        await ApplyThenRebootAsync();
        var requests = Sim.Requests.Count;

        var result = await BootAsync();

        Assert.Equal(UpdateAction.BootReapplied, result.Action);
        Assert.Equal("boot-reapplied", result.ActionName);
        Assert.Equal("1", _kernel.Read(Name, "enabled"));
        Assert.Equal(2, _kernel.InsmodCalls().Count);
        Assert.Equal(requests, Sim.Requests.Count);
        Assert.Equal(Name, Assert.Single(Host.State.Applied).Name);
        Assert.Equal("boot-reapplied", Host.State.LastCheck!.Outcome);
    }

    [Fact]
    public async Task ApplyAtBoot_KeptManifestExpired_StillReapplied()
    {
        // Restoring what the host ran is not a freeze: nothing newer than before the reboot is applied.
        await ApplyThenRebootAsync(after: TimeSpan.FromDays(8));

        var result = await BootAsync();

        Assert.Equal(UpdateAction.BootReapplied, result.Action);
        HostAssert.Refused(await Host.CheckAsync(), ErrorCategory.Refused, ErrorCodes.ManifestExpired); // a networked run needs a fresh one
    }

    [Fact]
    public async Task ApplyAtBoot_OtherKernelBuild_NothingToDoAndNothingLoaded()
    {
        await ApplyThenRebootAsync();
        Host.Options.KernelNotesPath = NotesWithOtherBuildId();

        var result = await BootAsync();

        Assert.Equal(UpdateAction.BootNothingToDo, result.Action);
        Assert.True(result.Succeeded);
        Assert.Contains(ModuleFixtures.BuildId, result.Message, StringComparison.Ordinal);
        Assert.Single(_kernel.InsmodCalls());
    }

    [Fact]
    public async Task ApplyAtBoot_NothingAppliedBefore_NothingToDoWithoutARequest()
    {
        var result = await BootAsync();

        Assert.Equal(UpdateAction.BootNothingToDo, result.Action);
        Assert.Empty(_kernel.InsmodCalls());
        Assert.Empty(Sim.Requests);
    }

    [Fact]
    public async Task ApplyAtBoot_AlreadyLoaded_NothingToDo()
    {
        HostAssert.Applied(await Host.ApplyAsync());

        var result = await BootAsync();

        Assert.Equal(UpdateAction.BootNothingToDo, result.Action);
        Assert.Single(_kernel.InsmodCalls());
    }

    [Fact]
    public async Task ApplyAtBoot_CachedModuleTampered_RefusedAndNothingLoaded()
    {
        await ApplyThenRebootAsync();
        var cached = Path.Combine(Host.Options.CacheDirectory, "sha256", Module.Sha256);
        var bytes = File.ReadAllBytes(cached);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(cached, bytes);

        var result = await BootAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.BootModuleChanged);
        AssertNothingLoaded();
    }

    [Fact]
    public async Task ApplyAtBoot_CachedModuleGone_BootModuleMissing()
    {
        await ApplyThenRebootAsync();
        File.Delete(Path.Combine(Host.Options.CacheDirectory, "sha256", Module.Sha256));

        HostAssert.Refused(await BootAsync(), ErrorCategory.Invalid, ClientErrorCodes.BootModuleMissing);
        AssertNothingLoaded();
    }

    [Fact]
    public async Task ApplyAtBoot_KeyringNoLongerTrustsTheSigner_Refused()
    {
        await ApplyThenRebootAsync();
        Host.Options.ModuleKeyring = [FixtureFiles.PathOf("keys", "other-rsa2048.pem")];

        var result = await BootAsync();

        Assert.False(result.Succeeded);
        Assert.Equal(ErrorCategory.Refused, result.Failure!.Category);
        Assert.StartsWith("signature-", result.Failure.Code, StringComparison.Ordinal);
        AssertNothingLoaded();
    }

    [Fact]
    public async Task ApplyAtBoot_KeptManifestRevokesIt_RefusedAndNothingLoaded()
    {
        HostAssert.Applied(await Host.ApplyAsync());
        Sim.Revoke(_patch);
        Sim.Version = 2;
        Assert.True((await Host.CheckAsync()).Succeeded); // accepted and kept; check unloads nothing
        Reboot(TimeSpan.FromHours(1));

        var result = await BootAsync();

        HostAssert.Refused(result, ErrorCategory.Refused, ClientErrorCodes.BootPatchRevoked);
        AssertNothingLoaded();
    }

    [Fact]
    public async Task ApplyAtBoot_KeptManifestMissing_BootManifestMissing()
    {
        await ApplyThenRebootAsync();
        Directory.Delete(Path.Combine(Host.Options.CacheDirectory, "manifests"), recursive: true);

        HostAssert.Refused(await BootAsync(), ErrorCategory.Invalid, ClientErrorCodes.BootManifestMissing);
        AssertNothingLoaded();
    }

    [Fact]
    public async Task ApplyAtBoot_Held_HeldAndNothingLoaded()
    {
        await ApplyThenRebootAsync();
        var store = new StateStore(Host.Options.StateDirectory);
        store.Save(store.Load() with { Holds = [Name] }); // a remove whose unload failed keeps the record and holds the name

        var result = await BootAsync();

        Assert.Equal(UpdateAction.Held, result.Action);
        AssertNothingLoaded();
    }

    [Fact]
    public async Task ApplyAtBoot_Quarantined_RefusedAsALoaderFailure()
    {
        await ApplyThenRebootAsync();
        var guard = Host.Guard();
        guard.EndApply(guard.BeginApply(Name, 1, Host.State.Applied[0].ModuleDigest!), success: false, "insmod-failed");

        HostAssert.Refused(await BootAsync(), ErrorCategory.Loader, ClientErrorCodes.PatchQuarantined);
        AssertNothingLoaded();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ApplyAtBoot_AutoApplyOff_DisabledAndNothingLoaded(bool byCommandLine)
    {
        await ApplyThenRebootAsync();
        if (byCommandLine)
        {
            File.WriteAllText(Host.Options.KernelCommandLinePath, "ro quiet lpatch.disable=1\n");
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Host.Options.DisableFile)!);
            File.WriteAllText(Host.Options.DisableFile, "");
        }

        var result = await BootAsync();

        Assert.Equal(UpdateAction.Disabled, result.Action);
        Assert.True(result.Succeeded);
        AssertNothingLoaded();
    }

    [Fact]
    public async Task ApplyAtBoot_HostWentDownRightAfterABootApply_NotReappliedOnTheNextBoot()
    {
        await ApplyThenRebootAsync();
        Assert.Equal(UpdateAction.BootReapplied, (await BootAsync()).Action);

        // Two minutes later the host is up again: inside crashWindow (10 min) of the boot apply.
        Reboot(TimeSpan.FromMinutes(2));
        var result = await BootAsync();

        HostAssert.Refused(result, ErrorCategory.Loader, ClientErrorCodes.PatchQuarantined);
        Assert.Equal(CrashLoopGuard.HostDownAfterBootApply, Assert.Single(Host.Guard().Quarantined()).Reason);
        AssertNothingLoaded(insmods: 2);
    }

    [Fact]
    public async Task ApplyAtBoot_HostRanPastTheCrashWindowAfterABootApply_ReappliedAgain()
    {
        await ApplyThenRebootAsync();
        Assert.Equal(UpdateAction.BootReapplied, (await BootAsync()).Action);

        Reboot(TimeSpan.FromHours(1));

        Assert.Equal(UpdateAction.BootReapplied, (await BootAsync()).Action);
        Assert.Empty(Host.Guard().Quarantined());
    }

    [Fact]
    public void BootReapply_TakesNoRepositoryClient()
    {
        // The guarantee is structural: nothing to connect with is handed in, so it cannot reach the network.
        var parameters = typeof(BootReapply).GetConstructors().Single().GetParameters().Select(p => p.ParameterType).ToList();

        Assert.DoesNotContain(parameters, t => t == typeof(RepositoryClient) || t == typeof(Func<Uri, RepositoryClient>));
    }

    public void Dispose() => _kernel.Dispose();

    private async Task<UpdateResult> BootAsync()
    {
        var (policy, keyring) = ClientConfiguration.LoadTrust(Host.Options);
        var boot = new BootReapply(Host.Options, policy, keyring, PatchLoaderFactory.Create(Host.Options.Loader, Host.Clock), Host.Guard(), Host.Clock);
        return await boot.ApplyAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
    }

    private async Task ApplyThenRebootAsync(TimeSpan? after = null)
    {
        HostAssert.Applied(await Host.ApplyAsync());
        Reboot(after ?? TimeSpan.FromHours(1));
    }

    /// <summary>The fake kernel forgets every patch; a new boot ID; the clock moves on; the new boot is 5 s old.</summary>
    private void Reboot(TimeSpan after)
    {
        foreach (var directory in Directory.EnumerateDirectories(_kernel.SysfsRoot).Concat(Directory.EnumerateDirectories(_kernel.ModuleRoot)))
        {
            Directory.Delete(directory, recursive: true);
        }

        Host.Clock.Advance(after);
        File.WriteAllText(Host.Options.BootIdPath, $"6f1c2a4e-0b7d-4c55-9a43-{++_boots:x12}\n");
        File.WriteAllText(Host.Options.UptimePath, "5.00 9.00\n");
    }

    private void AssertNothingLoaded(int insmods = 1)
    {
        Assert.Empty(Directory.EnumerateDirectories(_kernel.SysfsRoot));
        Assert.Equal(insmods, _kernel.InsmodCalls().Count);
    }

    /// <summary>The fixture's notes with one byte of the GNU build ID changed: another kernel build.</summary>
    private string NotesWithOtherBuildId()
    {
        var notes = File.ReadAllBytes(FixtureFiles.PathOf("notes", "sys-kernel-notes.bin"));
        var at = notes.AsSpan().IndexOf(Convert.FromHexString(ModuleFixtures.BuildId));
        notes[at] ^= 0xff;
        var path = Path.Combine(_kernel.Root, "other-notes.bin");
        File.WriteAllBytes(path, notes);
        return path;
    }
}
