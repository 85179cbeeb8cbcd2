using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LivePatch.Server.Tests;

/// <summary>The real server process with a bad setting: exit code 1, one line naming the setting, no stack trace, nothing written.</summary>
public sealed class StartupProcessTests
{
    [Theory]
    [InlineData("LivePatch__RepositoryId", "Has Spaces", "LivePatch:RepositoryId")]
    [InlineData("LivePatch__ManifestLifetime", "00:01:00", "LivePatch:ManifestLifetime")]
    [InlineData("LivePatch__Signing__Key", "/nonexistent/manifest-signing.key", "LivePatch:Signing:Key")]
    [InlineData("LivePatch__PublicUrl", "ftp://patches.test/", "LivePatch:PublicUrl")]
    [InlineData("LivePatch__PublicUrl", "https://patches.test/?from=header", "LivePatch:PublicUrl")]
    [InlineData("LivePatch__ApiReference", "sometimes", "LivePatch:ApiReference")]
    [InlineData("LivePatch__ReadPath", "fastest", "LivePatch:ReadPath is 'fastest', which is neither tuned (the default) nor simple.")]
    public void Start_BadSetting_Exit1OneLineNamingIt(string variable, string value, string setting)
    {
        var data = Directory.CreateTempSubdirectory("lpatch-start-").FullName;

        var run = Run(data, "Development", Configured(data, (variable, value)));

        AssertOneLineFailure(run, setting);
    }

    [Fact]
    public void Start_UnreadableKeyFile_Exit1OneLineNamingIt()
    {
        var data = Directory.CreateTempSubdirectory("lpatch-start-").FullName;
        var garbage = Path.Combine(data, "not-a-key.pem");
        File.WriteAllText(garbage, "this is not PEM\n");

        var run = Run(data, "Development", Configured(data, ("LivePatch__Signing__Key", garbage)));

        AssertOneLineFailure(run, "LivePatch:Signing");
    }

    [Fact]
    public void Start_ProductionWithoutKeys_Exit1AndWritesNothing()
    {
        var data = Directory.CreateTempSubdirectory("lpatch-start-").FullName;

        var run = Run(data, "Production", new() { ["LivePatch__DataDirectory"] = data });

        AssertOneLineFailure(run, "LivePatch:Signing:Certificate");
        Assert.Empty(Directory.EnumerateFileSystemEntries(data)); // no keys folder, no root private key, no database
    }

    [Fact]
    public void Start_PortInUse_Exit1OneLineNamingUrls()
    {
        var data = Directory.CreateTempSubdirectory("lpatch-start-").FullName;
        using var occupied = new TcpListener(IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((IPEndPoint)occupied.LocalEndpoint).Port;

        var run = Run(data, "Development", Configured(data), $"http://127.0.0.1:{port}");

        AssertOneLineFailure(run, "--urls");
    }

    [Theory]
    [InlineData("none", "LivePatch:MirrorDirectory is required")]
    [InlineData("missing", "does not exist")]
    [InlineData("empty", "has no v1/index")]
    [InlineData("bad-mode", "LivePatch:Mode must be")]
    [InlineData("no-mode", "LivePatch:Mode is not 'mirror'")]
    public void Start_MirrorModeWithoutATree_Exit1OneLineAndWritesNothing(string case_, string message)
    {
        var data = Directory.CreateTempSubdirectory("lpatch-start-").FullName;
        var empty = Directory.CreateDirectory(Path.Combine(data, "empty")).FullName;
        var settings = new Dictionary<string, string> { ["LivePatch__Mode"] = "mirror" };
        switch (case_)
        {
            case "missing":
                settings["LivePatch__MirrorDirectory"] = Path.Combine(data, "missing");
                break;
            case "empty":
                settings["LivePatch__MirrorDirectory"] = empty;
                break;
            case "bad-mode":
                settings["LivePatch__Mode"] = "readonly";
                break;
            case "no-mode":
                settings.Remove("LivePatch__Mode");
                settings["LivePatch__MirrorDirectory"] = empty;
                break;
        }

        // Production with no keys configured: the mirror mode needs none, so the tree is what the start fails on.
        var run = Run(data, "Production", settings);

        AssertOneLineFailure(run, message);
        Assert.Equal([empty], Directory.EnumerateFileSystemEntries(data)); // no data folder, no keys, no database
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty));
    }

    private static void AssertOneLineFailure(ProcessRun run, string setting)
    {
        Assert.True(run.Exit == 1, run.ToString());
        var lines = (run.Output + run.Error).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines, l => l.StartsWith("livepatch-server: cannot start:", StringComparison.Ordinal));
        Assert.Contains(setting, line);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", run.ToString());
    }

    /// <summary>Configured test keys, so a Development start reaches the setting under test without generating keys.</summary>
    private static Dictionary<string, string> Configured(string data, params (string Key, string Value)[] overrides)
    {
        var settings = new Dictionary<string, string>
        {
            ["LivePatch__DataDirectory"] = data,
            ["LivePatch__Signing__Certificate"] = TestKeys.KeyFile("manifest-signing.pem"),
            ["LivePatch__Signing__Key"] = TestKeys.KeyFile("manifest-signing.key"),
            ["LivePatch__Signing__Roots__0"] = TestKeys.KeyFile("root.pem"),
            ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static ProcessRun Run(string data, string environment, Dictionary<string, string> settings, string url = "http://127.0.0.1:0")
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = data };
        start.ArgumentList.Add(ServerDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(url);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the server started instead of refusing:\n{output.Result}{error.Result}");
        }

        return new ProcessRun(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The server's own build output (built as this project's reference), run as an operator would.</summary>
    private static string ServerDll
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repository.sln")))
            {
                dir = dir.Parent;
            }

            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            return Path.Combine(dir!.FullName, "src", "LivePatch.Server", "bin", configuration, "net10.0", "LivePatch.Server.dll");
        }
    }

    private sealed record ProcessRun(int Exit, string Output, string Error)
    {
        public override string ToString() => $"exit {Exit}\nstdout:\n{Output}\nstderr:\n{Error}";
    }
}
