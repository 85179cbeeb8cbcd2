namespace LivePatch.Cli.Tests;

public sealed class KernelCommandsTests
{
    [Fact]
    public void BuildId_Notes_PrintsReadelfBuildId()
    {
        var run = Lpatch.Run("kernel", "build-id", "--notes", FixtureFiles.PathOf("notes", "sys-kernel-notes.bin"));

        Assert.Equal(0, run.Exit);
        Assert.Equal(FixtureFiles.ReadelfBuildId("notes", "notes-elf64-le.o"), run.Output.Trim());
    }

    [Theory]
    [InlineData("hello-elf64")]
    [InlineData("build-id-elf32-be.o")]
    public void BuildId_Elf_PrintsReadelfBuildId(string file)
    {
        var run = Lpatch.Run("kernel", "build-id", "--elf", FixtureFiles.PathOf("notes", file));

        Assert.Equal(0, run.Exit);
        Assert.Equal(FixtureFiles.ReadelfBuildId("notes", file), run.Output.Trim());
    }

    [Fact]
    public void BuildId_BothSources_ExitsWithUsageError()
    {
        var run = Lpatch.Run("kernel", "build-id", "--notes", "a", "--elf", "b");

        Assert.Equal(2, run.Exit);
        Assert.Contains("either --notes or --elf", run.Error);
    }

    [Fact]
    public void BuildId_MissingFile_ExitsWithInputErrorNamingIt()
    {
        var run = Lpatch.Run("kernel", "build-id", "--notes", "/nonexistent/notes");

        Assert.Equal(2, run.Exit);
        Assert.Contains("/nonexistent/notes", run.Error);
    }

    [Fact]
    public void BuildId_NotElf_ExitsWithCode()
    {
        var run = Lpatch.Run("kernel", "build-id", "--elf", FixtureFiles.PathOf("notes", "sys-kernel-notes.bin"));

        Assert.Equal(2, run.Exit);
        Assert.Contains("[elf-bad-magic]", run.Error);
    }

    [Fact]
    public void UnknownCommand_ExitsWithUsageError()
    {
        var run = Lpatch.Run("frobnicate");

        Assert.Equal(2, run.Exit);
        Assert.Contains("--help", run.Error);
    }

    [Fact]
    public void Help_ListsCommandGroups()
    {
        var run = Lpatch.Run("--help");

        Assert.Equal(0, run.Exit);
        Assert.Contains("kernel", run.Output);
        Assert.Contains("module", run.Output);
    }
}
