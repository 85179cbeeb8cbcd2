using LivePatch.Client.Loading;

namespace LivePatch.Client.Tests.Loading;

public sealed class StagePatchLoaderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-stage-").FullName;

    private string Stage => Path.Combine(_root, "staged");

    private StagePatchLoader Loader() => new(new LoaderOptions { Kind = "stage", StageDirectory = Stage });

    private static PatchToApply Patch(string name, string file = "lp_sample.rsa2048-sha256.ko", params string[] replaces) =>
        new(name, 1, new string('a', 64), FakeKernel.FixtureModule(file), true, replaces, "6.1.0-56-amd64", new string('b', 40), []);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ApplyAsync_PlainModule_PlacesAnIdenticalCopyAsNameKo()
    {
        var result = await Loader().ApplyAsync(Patch("lp_sample"), CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Equal(File.ReadAllBytes(FakeKernel.FixtureModule()), File.ReadAllBytes(Path.Combine(Stage, "lp_sample.ko")));
        Assert.Equal(["lp_sample.ko"], Directory.GetFiles(Stage).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ApplyAsync_XzModule_KeepsTheSuffixAndDropsTheOtherVariant()
    {
        var loader = Loader();
        await loader.ApplyAsync(Patch("lp_sample"), CancellationToken.None);

        var result = await loader.ApplyAsync(Patch("lp_sample", "lp_sample.rsa2048-sha256.ko.xz"), CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Equal(["lp_sample.ko.xz"], Directory.GetFiles(Stage).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ApplyAsync_Replaces_DeletesTheReplacedModules()
    {
        var loader = Loader();
        await loader.ApplyAsync(Patch("lp_old1"), CancellationToken.None);
        await loader.ApplyAsync(Patch("lp_old2", "lp_sample.rsa2048-sha256.ko.gz"), CancellationToken.None);
        await loader.ApplyAsync(Patch("lp_keep"), CancellationToken.None);

        var result = await loader.ApplyAsync(Patch("lp_new", replaces: ["lp_old1", "lp_old2"]), CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Equal(["lp_keep", "lp_new"], (await loader.ListAsync(CancellationToken.None)).Select(p => p.Name));
    }

    [Fact]
    public async Task RemoveAsync_Staged_DeletesIt()
    {
        var loader = Loader();
        await loader.ApplyAsync(Patch("lp_sample"), CancellationToken.None);

        var result = await loader.RemoveAsync("lp_sample", CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Empty(Directory.GetFiles(Stage));
    }

    [Fact]
    public async Task RemoveAsync_NotStaged_ReturnsNotApplied()
    {
        var result = await Loader().RemoveAsync("lp_sample", CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.NotApplied, result.Code);
    }

    [Fact]
    public async Task ListAsync_StagedAndForeignFiles_ListsOnlyModulesAsEnabled()
    {
        var loader = Loader();
        await loader.ApplyAsync(Patch("lp_b", "lp_sample.rsa2048-sha256.ko.zst"), CancellationToken.None);
        await loader.ApplyAsync(Patch("lp_a"), CancellationToken.None);
        File.WriteAllText(Path.Combine(Stage, "notes.txt"), "");
        File.WriteAllText(Path.Combine(Stage, ".lp_c.ko.123.tmp"), "");

        var list = await loader.ListAsync(CancellationToken.None);

        Assert.Equal([new LoadedPatch("lp_a", true, false), new LoadedPatch("lp_b", true, false)], list);
    }

    [Fact]
    public async Task ListAsync_NoDirectory_ReturnsEmpty()
    {
        Assert.Empty(await Loader().ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ApplyAsync_TraversalName_IsRefusedAndWritesNothing()
    {
        var result = await Loader().ApplyAsync(Patch("../x"), CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.InvalidName, result.Code);
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task RemoveAsync_TraversalName_IsRefusedAndDeletesNothing()
    {
        File.WriteAllText(Path.Combine(_root, "x.ko"), "");

        var result = await Loader().RemoveAsync("../x", CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.InvalidName, result.Code);
        Assert.True(File.Exists(Path.Combine(_root, "x.ko")));
    }
}
