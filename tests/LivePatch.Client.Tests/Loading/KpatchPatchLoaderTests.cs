using LivePatch.Client.Loading;

namespace LivePatch.Client.Tests.Loading;

public sealed class KpatchPatchLoaderTests
{
    private static PatchToApply Patch(string file = "lp_sample.rsa2048-sha256.ko", params string[] replaces) =>
        new("lp_sample", 2, new string('a', 64), FakeKernel.FixtureModule(file), true, replaces, "6.1.0-56-amd64", new string('b', 40), []);

    /// <summary>A fake kpatch keeping loaded modules as files in a folder, printing list as kpatch does.</summary>
    private static KpatchPatchLoader Loader(FakeKernel kernel, params string[] loaded)
    {
        var state = Directory.CreateDirectory(Path.Combine(kernel.Root, "kpatch-loaded")).FullName;
        foreach (var name in loaded)
        {
            File.WriteAllText(Path.Combine(state, name), "");
        }

        var kpatch = kernel.Script("kpatch", $$"""
            echo "$*" >> '{{kernel.Root}}/kpatch.log'
            case "$1" in
              load)
                [ "$(head -c 4 "$2" | tail -c 3)" = ELF ] || { echo "kpatch: $2 is not an ELF file" >&2; exit 1; }
                [ -e '{{kernel.Root}}/load-fails' ] && { echo "kpatch: module failed to load" >&2; exit 1; }
                touch '{{state}}/lp_sample' ;;
              unload)
                [ -e '{{state}}'/"$2" ] || { echo "kpatch: module $2 not loaded" >&2; exit 1; }
                rm '{{state}}'/"$2" ;;
              list)
                echo "Loaded patch modules:"
                for f in '{{state}}'/*; do [ -e "$f" ] && echo "$(basename "$f") [enabled]"; done
                echo
                echo "Installed patch modules:"
                echo "lp_installed (6.1.0-56-amd64)" ;;
            esac
            """);
        var options = kernel.Options();
        options.Kind = "kpatch";
        options.Kpatch = kpatch;
        return new KpatchPatchLoader(options, TimeProvider.System);
    }

    private static string[] Calls(FakeKernel kernel) => File.ReadAllLines(Path.Combine(kernel.Root, "kpatch.log"));

    [Fact]
    public async Task ApplyAsync_LoadSucceeds_UnloadsReplacedAndReportsWarningsForGoneOnes()
    {
        using var kernel = new FakeKernel();
        var loader = Loader(kernel, "lp_old1");

        var result = await loader.ApplyAsync(Patch(replaces: ["lp_old1", "lp_gone"]), CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Equal($"load {FakeKernel.FixtureModule()}", Calls(kernel)[0]);
        Assert.Equal(["unload lp_old1", "unload lp_gone"], Calls(kernel)[1..]);
        Assert.Contains("Warning: unloading the replaced lp_gone", result.Message);
        Assert.Equal([new LoadedPatch("lp_sample", true, false)], await loader.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ApplyAsync_ZstdModule_HandsKpatchAPlainElfFile()
    {
        using var kernel = new FakeKernel();

        var result = await Loader(kernel).ApplyAsync(Patch("lp_sample.rsa2048-sha256.ko.zst"), CancellationToken.None);

        Assert.True(result.Success, result.Message);
    }

    [Fact]
    public async Task ApplyAsync_LoadFails_ReturnsKpatchFailedWithStderr()
    {
        using var kernel = new FakeKernel();
        var loader = Loader(kernel);
        File.WriteAllText(Path.Combine(kernel.Root, "load-fails"), "");

        var result = await loader.ApplyAsync(Patch(), CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.KpatchFailed, result.Code);
        Assert.Contains("module failed to load", result.Message);
    }

    [Fact]
    public async Task RemoveAsync_Loaded_Unloads()
    {
        using var kernel = new FakeKernel();
        var loader = Loader(kernel, "lp_sample");

        var result = await loader.RemoveAsync("lp_sample", CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Empty(await loader.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RemoveAsync_NotLoaded_ReturnsNotApplied()
    {
        using var kernel = new FakeKernel();

        var result = await Loader(kernel).RemoveAsync("lp_sample", CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.NotApplied, result.Code);
        Assert.DoesNotContain(Calls(kernel), c => c.StartsWith("unload", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ListAsync_LoadedSection_ReturnsOnlyLoadedModules()
    {
        using var kernel = new FakeKernel();

        var list = await Loader(kernel, "lp_a", "lp_b").ListAsync(CancellationToken.None);

        Assert.Equal(["lp_a", "lp_b"], list.Select(p => p.Name));
    }

    [Fact]
    public void ParseList_DisabledModule_IsNotEnabled()
    {
        var list = KpatchPatchLoader.ParseList("Loaded patch modules:\nlp_a [enabled]\nlp_b [disabled]\n\nInstalled patch modules:\nlp_c (6.1)\n");

        Assert.Equal([new LoadedPatch("lp_a", true, false), new LoadedPatch("lp_b", false, false)], list);
    }
}
