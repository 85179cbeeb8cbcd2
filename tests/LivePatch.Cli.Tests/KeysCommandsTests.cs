namespace LivePatch.Cli.Tests;

public sealed class KeysCommandsTests
{
    [Fact]
    public void Init_EmptyDirectory_WritesHierarchyWithPrivateKeysOwnerOnly()
    {
        using var dir = new TempDirectory();
        var target = dir.File("keys");

        var run = Lpatch.Run("keys", "init", "--out", target);

        Assert.Equal(0, run.Exit);
        foreach (var name in new[] { "root.pem", "root.key", "manifest-signing.pem", "manifest-signing.key", "module-signing.pem", "module-signing.key" })
        {
            Assert.True(File.Exists(Path.Combine(target, name)), name);
            Assert.Contains(name, run.Output);
        }

        foreach (var key in Directory.GetFiles(target, "*.key"))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }
    }

    [Fact]
    public void Init_ExistingKeys_RefusesAndKeepsThem()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, Lpatch.Run("keys", "init", "--out", dir.Path).Exit);
        var before = File.ReadAllBytes(dir.File("root.key"));

        var run = Lpatch.Run("keys", "init", "--out", dir.Path);

        Assert.Equal(2, run.Exit);
        Assert.Contains("overwrite", run.Error);
        Assert.Equal(before, File.ReadAllBytes(dir.File("root.key")));
    }

    [Fact]
    public void Init_WithoutOut_ExitsWithUsageError() => Assert.Equal(2, Lpatch.Run("keys", "init").Exit);
}
