using LivePatch.Client.Loading;

namespace LivePatch.Client.Tests.Loading;

public sealed class PatchLoaderFactoryTests
{
    [Theory]
    [InlineData("sysfs", typeof(SysfsPatchLoader))]
    [InlineData("kpatch", typeof(KpatchPatchLoader))]
    [InlineData("exec", typeof(ExecPatchLoader))]
    [InlineData("stage", typeof(StagePatchLoader))]
    public void Create_ValidKind_ReturnsThatLoader(string kind, Type expected)
    {
        var options = new LoaderOptions { Kind = kind, Command = "/usr/local/sbin/site-loader", StageDirectory = "/var/lib/lpatch/staged" };

        var loader = PatchLoaderFactory.Create(options, TimeProvider.System);

        Assert.IsType(expected, loader);
        Assert.Equal(kind, loader.Kind);
    }

    [Fact]
    public void Create_Defaults_ReturnsSysfs()
    {
        Assert.IsType<SysfsPatchLoader>(PatchLoaderFactory.Create(new LoaderOptions(), TimeProvider.System));
    }

    [Theory]
    [InlineData("loader.kind", "insmod")]
    [InlineData("loader.kind", "SYSFS")]
    [InlineData("loader.stageDirectory", "stage")]
    [InlineData("loader.command", "exec")]
    public void Create_MissingOrUnknownSetting_ThrowsNamingTheSetting(string setting, string kind)
    {
        var e = Assert.Throws<LoaderConfigurationException>(() => PatchLoaderFactory.Create(new LoaderOptions { Kind = kind }, TimeProvider.System));

        Assert.Equal(setting, e.Setting);
        Assert.Contains(setting, e.Message);
    }

    [Fact]
    public void Create_RelativeCommandPath_Throws()
    {
        var options = new LoaderOptions { Kind = "exec", Command = "./site-loader" };

        var e = Assert.Throws<LoaderConfigurationException>(() => PatchLoaderFactory.Create(options, TimeProvider.System));

        Assert.Equal("loader.command", e.Setting);
    }

    [Fact]
    public void Create_RelativeStageDirectory_Throws()
    {
        var options = new LoaderOptions { Kind = "stage", StageDirectory = "staged" };

        Assert.Equal("loader.stageDirectory",
            Assert.Throws<LoaderConfigurationException>(() => PatchLoaderFactory.Create(options, TimeProvider.System)).Setting);
    }

    [Fact]
    public void Create_EmptyInsmod_Throws()
    {
        var options = new LoaderOptions { Insmod = " " };

        Assert.Equal("loader.insmod", Assert.Throws<LoaderConfigurationException>(() => PatchLoaderFactory.Create(options, TimeProvider.System)).Setting);
    }

    [Fact]
    public void Create_ZeroTransitionTimeout_Throws()
    {
        var options = new LoaderOptions { TransitionTimeout = TimeSpan.Zero };

        Assert.Equal("loader.transitionTimeout",
            Assert.Throws<LoaderConfigurationException>(() => PatchLoaderFactory.Create(options, TimeProvider.System)).Setting);
    }
}
