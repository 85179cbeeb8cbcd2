using System.Reflection;
using System.Text.Json;
using LivePatch.Client.Updates;

namespace LivePatch.Client.Tests;

public sealed class ClientDocumentationTests
{
    [Fact]
    public void EveryClientErrorCode_IsDocumentedInClientMd()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "client.md"));
        var codes = typeof(ClientErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => ((LivePatch.Core.ErrorCode)f.GetValue(null)!).Code).ToList();

        var missing = codes.Where(c => !doc.Contains($"`{c}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"Not in docs/client.md: {string.Join(", ", missing)}");
    }

    [Fact]
    public void SampleClientJson_BindsToEveryOptionWithoutUnknownSettings()
    {
        var sample = File.ReadAllBytes(Path.Combine(RepositoryRoot(), "samples", "client.json"));

        var options = JsonSerializer.Deserialize(sample, ClientJsonContext.Default.ClientOptions)!;

        Assert.Equal(2, options.Repositories.Count);
        Assert.Equal("sysfs", options.Loader.Kind);
        Assert.Equal(TimeSpan.FromHours(1), options.Interval);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Loader.TransitionTimeout);
    }

    [Fact]
    public void ClientJson_UnknownSetting_IsRejected()
    {
        var typo = """{ "repositorys": ["http://x"] }"""u8.ToArray();

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(typo, ClientJsonContext.Default.ClientOptions));
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repository.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }
}
