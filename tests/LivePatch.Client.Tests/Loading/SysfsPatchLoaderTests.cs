using LivePatch.Client.Loading;

namespace LivePatch.Client.Tests.Loading;

public sealed class SysfsPatchLoaderTests
{
    private static PatchToApply Patch(string file = "lp_sample.rsa2048-sha256.ko", string name = "lp_sample", bool replace = false, params string[] replaces) =>
        new(name, 3, new string('a', 64), FakeKernel.FixtureModule(file), replace, replaces, "6.1.0-56-amd64", new string('b', 40), ["CVE-2024-1086"]);

    private static SysfsPatchLoader Loader(FakeKernel kernel) => new(kernel.Options(), TimeProvider.System);

    [Fact]
    public async Task ApplyAsync_TransitionSettles_ReturnsOkAndPatchIsEnabled()
    {
        using var kernel = new FakeKernel();

        var result = await Loader(kernel).ApplyAsync(Patch(), CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Equal("1", kernel.Read("lp_sample", "enabled"));
        Assert.Equal([$"{FakeKernel.FixtureModule()} ELF"], kernel.InsmodCalls());
        Assert.Empty(kernel.Removed());
    }

    [Fact]
    public async Task ApplyAsync_TransitionSettlesAfterAMoment_PollsUntilZero()
    {
        using var kernel = new FakeKernel(FakeInsmod.SettlesLater);

        var result = await Loader(kernel).ApplyAsync(Patch(), CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Equal("0", kernel.Read("lp_sample", "transition"));
    }

    [Fact]
    public async Task ApplyAsync_XzModule_InsmodsADecompressedCopyAndDeletesIt()
    {
        using var kernel = new FakeKernel();

        var result = await Loader(kernel).ApplyAsync(Patch("lp_sample.rsa2048-sha256.ko.xz"), CancellationToken.None);

        Assert.True(result.Success, result.Message);
        var call = Assert.Single(kernel.InsmodCalls()).Split(' ');
        Assert.Equal("ELF", call[1]);
        Assert.Equal(Path.GetDirectoryName(FakeKernel.FixtureModule()), Path.GetDirectoryName(call[0]));
        Assert.False(File.Exists(call[0]), "the decompressed copy is left behind");
    }

    [Fact]
    public async Task ApplyAsync_TransitionStalls_DisablesWaitsAndUnloads()
    {
        using var kernel = new FakeKernel(FakeInsmod.StallsUntilReversed);

        var result = await Loader(kernel).ApplyAsync(Patch(), CancellationToken.None);

        Assert.False(result.Success);
        Assert.Equal(LoaderErrorCodes.TransitionStalled, result.Code);
        Assert.Equal(["lp_sample enabled=0"], kernel.Removed());
        Assert.False(Directory.Exists(Path.Combine(kernel.SysfsRoot, "lp_sample")));
    }

    [Fact]
    public async Task ApplyAsync_ReversalStallsToo_LeavesTheModuleDisabledAndNeverForces()
    {
        using var kernel = new FakeKernel(FakeInsmod.StallsForever);

        var result = await Loader(kernel).ApplyAsync(Patch(), CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.TransitionStalled, result.Code);
        Assert.Contains("reversal did not finish", result.Message);
        Assert.Equal("0", kernel.Read("lp_sample", "enabled"));
        Assert.Empty(kernel.Removed());
    }

    [Fact]
    public async Task ApplyAsync_InsmodFails_ReturnsInsmodFailedWithStderr()
    {
        using var kernel = new FakeKernel(FakeInsmod.Fails);

        var result = await Loader(kernel).ApplyAsync(Patch(), CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.InsmodFailed, result.Code);
        Assert.Contains("Invalid module format", result.Message);
    }

    [Fact]
    public async Task ApplyAsync_InsmodNotFound_ReturnsInsmodFailed()
    {
        using var kernel = new FakeKernel();
        var options = kernel.Options();
        options.Insmod = Path.Combine(kernel.Root, "no-such-insmod");

        var result = await new SysfsPatchLoader(options, TimeProvider.System).ApplyAsync(Patch(), CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.InsmodFailed, result.Code);
        Assert.Contains("could not be started", result.Message);
    }

    [Fact]
    public async Task ApplyAsync_AtomicReplace_UnloadsExactlyTheReplacedModules()
    {
        using var kernel = new FakeKernel();
        kernel.AddModule("lp_old1");
        kernel.AddPatch("lp_unrelated");

        // lp_old2 is not loaded any more: rmmod's "not currently loaded" is fine.
        var result = await Loader(kernel).ApplyAsync(Patch(replace: true, replaces: ["lp_old1", "lp_old2"]), CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.DoesNotContain("Warning", result.Message);
        Assert.Equal(["lp_old1 enabled=gone"], kernel.Removed());
        Assert.True(Directory.Exists(Path.Combine(kernel.SysfsRoot, "lp_unrelated")));
    }

    [Fact]
    public async Task ApplyAsync_ReplacedPatchStillEnabled_DisablesItBeforeRmmod()
    {
        using var kernel = new FakeKernel();
        kernel.AddPatch("lp_old1");

        var result = await Loader(kernel).ApplyAsync(Patch(replaces: ["lp_old1"]), CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Equal(["lp_old1 enabled=0"], kernel.Removed());
    }

    [Fact]
    public async Task ApplyAsync_ReplacedModuleBusy_SucceedsWithWarning()
    {
        using var kernel = new FakeKernel();
        kernel.AddModule("lp_old1");
        File.WriteAllText(kernel.RmmodBusyFlag, "");

        var result = await Loader(kernel).ApplyAsync(Patch(replace: true, replaces: ["lp_old1"]), CancellationToken.None);

        Assert.True(result.Success);
        Assert.Contains("Warning: the replaced lp_old1 is still loaded", result.Message);
        Assert.Contains("in use", result.Message);
    }

    [Fact]
    public async Task ApplyAsync_AlreadyInSysfs_ReturnsAlreadyAppliedWithoutInsmod()
    {
        using var kernel = new FakeKernel();
        kernel.AddPatch("lp_sample");

        var result = await Loader(kernel).ApplyAsync(Patch(), CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.AlreadyApplied, result.Code);
        Assert.Empty(kernel.InsmodCalls());
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("lp/sample")]
    [InlineData("")]
    public async Task ApplyAsync_InvalidName_ReturnsInvalidNameWithoutInsmod(string name)
    {
        using var kernel = new FakeKernel();

        var result = await Loader(kernel).ApplyAsync(Patch(name: name), CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.InvalidName, result.Code);
        Assert.Empty(kernel.InsmodCalls());
    }

    [Fact]
    public async Task RemoveAsync_EnabledPatch_DisablesAndUnloads()
    {
        using var kernel = new FakeKernel();
        kernel.AddPatch("lp_sample");

        var result = await Loader(kernel).RemoveAsync("lp_sample", CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Equal(["lp_sample enabled=0"], kernel.Removed());
    }

    [Fact]
    public async Task RemoveAsync_NotPresent_ReturnsNotApplied()
    {
        using var kernel = new FakeKernel();

        var result = await Loader(kernel).RemoveAsync("lp_sample", CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.NotApplied, result.Code);
        Assert.Empty(kernel.Removed());
    }

    [Fact]
    public async Task RemoveAsync_RmmodFails_ReturnsRmmodFailed()
    {
        using var kernel = new FakeKernel();
        kernel.AddPatch("lp_sample");
        File.WriteAllText(kernel.RmmodBusyFlag, "");

        var result = await Loader(kernel).RemoveAsync("lp_sample", CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.RmmodFailed, result.Code);
        Assert.Contains("in use", result.Message);
    }

    [Fact]
    public async Task RemoveAsync_TraversalName_ReturnsInvalidName()
    {
        using var kernel = new FakeKernel();
        Directory.CreateDirectory(Path.Combine(kernel.Root, "x"));

        var result = await Loader(kernel).RemoveAsync("../x", CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.InvalidName, result.Code);
        Assert.True(Directory.Exists(Path.Combine(kernel.Root, "x")));
    }

    [Fact]
    public async Task ListAsync_PatchesInSysfs_ReturnsThemWithTheirState()
    {
        using var kernel = new FakeKernel();
        kernel.AddPatch("lp_b", enabled: true, inTransition: true);
        kernel.AddPatch("lp_a", enabled: false);

        var list = await Loader(kernel).ListAsync(CancellationToken.None);

        Assert.Equal([new LoadedPatch("lp_a", false, false), new LoadedPatch("lp_b", true, true)], list);
    }

    [Fact]
    public async Task ListAsync_NoSysfsRoot_ReturnsEmpty()
    {
        using var kernel = new FakeKernel();
        var options = kernel.Options();
        options.SysfsRoot = Path.Combine(kernel.Root, "absent");

        Assert.Empty(await new SysfsPatchLoader(options, TimeProvider.System).ListAsync(CancellationToken.None));
    }
}
