namespace LivePatch.Cli.Tests;

public sealed class HostCommandsTests
{
    [Fact]
    public void Status_MissingConfig_ExitsTwoNamingIt()
    {
        var run = Lpatch.Run("status", "--config", "/nonexistent/client.json");

        Assert.Equal(2, run.Exit);
        Assert.Contains("/nonexistent/client.json", run.Error);
    }

    [Fact]
    public void Check_MisspelledSetting_ExitsTwoNamingIt()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("client.json"), """{ "repositorys": ["http://127.0.0.1:9"] }""");

        var run = Lpatch.Run("check", "--config", dir.File("client.json"));

        Assert.Equal(2, run.Exit);
        Assert.Contains("[configuration-invalid]", run.Error);
        Assert.Contains("repositorys", run.Error);
    }

    [Fact]
    public void Apply_MissingRootAndBadUrl_ExitsTwoListingEachProblem()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("client.json"), $$"""
            { "repositories": ["ftp://mirror"], "trustedRoots": ["{{dir.File("root.pem")}}"],
              "moduleKeyring": ["{{Lpatch.Fixture("keys", "rsa2048.pem")}}"], "stateDirectory": "{{dir.Path}}", "cacheDirectory": "{{dir.Path}}" }
            """);

        var run = Lpatch.Run("apply", "--config", dir.File("client.json"));

        Assert.Equal(2, run.Exit);
        Assert.Contains("ftp://mirror", run.Error);
        Assert.Contains("root.pem", run.Error);
    }

    [Fact]
    public void Remove_NameWithPathCharacters_RefusedBeforeAnythingRuns()
    {
        var run = Lpatch.Run("remove", "../../etc", "--config", "/nonexistent/client.json");

        Assert.Equal(2, run.Exit);
        Assert.Contains("not a module name", run.Error);
    }

    [Fact]
    public void Help_ListsHostCommands()
    {
        var run = Lpatch.Run("--help");

        foreach (var command in new[] { "status", "check", "apply", "remove", "daemon", "guard" })
        {
            Assert.Contains(command, run.Output);
        }
    }
}
