using LivePatch.Client.Host;
using LivePatch.Client.Reports;

namespace LivePatch.Client.Tests.Reports;

/// <summary>client.json's <c>report</c> section: bound strictly and checked at load with the setting named, like the rest.</summary>
public sealed class ReportOptionsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-report-config-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Load_ReportSection_BindsWithDefaults()
    {
        var options = Load("""{ "url": "https://patches.example.com/", "tokenFile": "/etc/lpatch/reporter-key" }""");

        Assert.Equal(("https://patches.example.com/", "/etc/lpatch/reporter-key"), (options.Report!.Url, options.Report.TokenFile));
        Assert.Equal((true, "/etc/machine-id", TimeSpan.FromSeconds(10)), (options.Report.Hostname, options.Report.MachineIdPath, options.Report.Timeout));
    }

    [Fact]
    public void Load_NoReportSection_ReportsOff()
    {
        Assert.Null(Load(report: null).Report);
    }

    [Fact]
    public void Load_MisspelledReportSetting_RefusedNamingIt()
    {
        var refused = Assert.Throws<ClientConfigurationException>(() => Load("""{ "url": "https://p.example/", "tokenFile": "/k", "hostName": false }"""));

        Assert.Contains("hostName", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "url": "ftp://p.example/", "tokenFile": "/k" }""", "report.url")]
    [InlineData("""{ "url": "file:///srv/repo", "tokenFile": "/k" }""", "report.url")]
    [InlineData("""{ "url": "https://p.example/?key=1", "tokenFile": "/k" }""", "report.url")]
    [InlineData("""{ "url": "https://p.example/", "tokenFile": "reporter-key" }""", "report.tokenFile")]
    [InlineData("""{ "url": "https://p.example/" }""", "report.tokenFile")]
    [InlineData("""{ "url": "https://p.example/", "tokenFile": "/k", "machineIdPath": "" }""", "report.machineIdPath")]
    [InlineData("""{ "url": "https://p.example/", "tokenFile": "/k", "timeout": "00:00:00" }""", "report.timeout")]
    [InlineData("""{ "url": "https://p.example/", "tokenFile": "/k", "timeout": "00:05:00" }""", "report.timeout")]
    public void Load_BadReportSetting_RefusedNamingIt(string report, string setting)
    {
        var refused = Assert.Throws<ClientConfigurationException>(() => Load(report));

        Assert.Contains(setting, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SampleClientJson_ReportSection_PassesValidation()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Repository.sln")))
        {
            root = root.Parent!;
        }

        var sample = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(root.FullName, "samples", "client.json")),
            LivePatch.Client.Updates.ClientJsonContext.Default.ClientOptions)!;
        var problems = new List<string>();

        sample.Report!.Validate(problems);

        Assert.Empty(problems);
        Assert.Equal("/etc/lpatch/reporter-key", sample.Report.TokenFile);
    }

    private ClientOptions Load(string? report)
    {
        var pem = Path.Combine(_root, "root.pem");
        File.WriteAllText(pem, "");
        var path = Path.Combine(_root, "client.json");
        File.WriteAllText(path, $$"""
            { "repositories": ["https://patches.example.com/"], "trustedRoots": ["{{pem}}"], "moduleKeyring": ["{{_root}}"]{{(report is null ? "" : $", \"report\": {report}")}} }
            """);
        return ClientConfiguration.Load(path);
    }
}
