using LivePatch.Client.Host;
using LivePatch.Testing;

namespace LivePatch.Client.Tests.Host;

public sealed class ClientConfigurationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-config-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A configuration that passes: the trust files exist (their content is checked later, by LoadTrust).</summary>
    private ClientOptions Valid()
    {
        var pem = Path.Combine(_root, "root.pem");
        File.WriteAllText(pem, "");
        return new ClientOptions { Repositories = ["https://patches.example.com/"], TrustedRoots = [pem], ModuleKeyring = [_root] };
    }

    private string Problem(Action<ClientOptions> change)
    {
        var options = Valid();
        change(options);
        return Assert.Throws<ClientConfigurationException>(() => ClientConfiguration.Validate(options, "client.json")).Message;
    }

    [Fact]
    public void Validate_Defaults_Pass()
    {
        ClientConfiguration.Validate(Valid(), "client.json");
    }

    [Fact]
    public void Validate_LargestAndSmallestAllowedValues_Pass()
    {
        var options = Valid();
        options.Retries = 0;
        options.RetryDelay = TimeSpan.Zero;
        options.PatchDelay = TimeSpan.FromDays(3650);
        options.CrashWindow = TimeSpan.FromMinutes(1);
        options.Interval = TimeSpan.FromDays(7);
        options.RandomDelay = TimeSpan.FromDays(1);
        options.MaxClockSkew = TimeSpan.Zero;
        options.PinCutoff = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);
        options.PinLevel = 1_000_000;

        ClientConfiguration.Validate(options, "client.json");
    }

    public static TheoryData<string, Action<ClientOptions>> OutOfRange => new()
    {
        { "retries", o => o.Retries = -1 },
        { "retries", o => o.Retries = 11 },
        { "retryDelay", o => o.RetryDelay = TimeSpan.FromSeconds(-1) },
        { "retryDelay", o => o.RetryDelay = TimeSpan.FromMinutes(5.5) },
        { "requestTimeout", o => o.RequestTimeout = TimeSpan.FromDays(2) },
        { "patchDelay", o => o.PatchDelay = TimeSpan.FromDays(3651) },
        { "patchDelay", o => o.PatchDelay = TimeSpan.FromTicks(-1) },
        { "crashWindow", o => o.CrashWindow = TimeSpan.FromSeconds(59) },
        { "crashWindow", o => o.CrashWindow = TimeSpan.FromDays(1.5) },
        { "interval", o => o.Interval = TimeSpan.FromDays(8) },
        { "interval", o => o.Interval = TimeSpan.FromSeconds(30) },
        { "randomDelay", o => o.RandomDelay = TimeSpan.MaxValue },
        { "randomDelay", o => o.RandomDelay = TimeSpan.FromMinutes(-1) },
        { "maxClockSkew", o => o.MaxClockSkew = TimeSpan.FromMinutes(-5) },
        { "maxClockSkew", o => o.MaxClockSkew = TimeSpan.FromDays(2) },
        { "pinCutoff", o => o.PinCutoff = DateTimeOffset.MaxValue },
        { "pinCutoff", o => o.PinCutoff = new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero) },
        { "pinLevel", o => o.PinLevel = 1_000_001 },
        { "pinLevel", o => o.PinLevel = 0 },
        { "lockWait", o => o.LockWait = TimeSpan.FromMinutes(11) },
        { "lockWait", o => o.LockWait = TimeSpan.FromSeconds(-1) },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Validate_OutOfRange_NamesTheSetting(string setting, Action<ClientOptions> change)
    {
        var message = Problem(change);

        Assert.Contains($"{setting}: must be between", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralProblems_NamesEach()
    {
        var message = Problem(o => (o.Retries, o.Interval) = (-1, TimeSpan.MaxValue));

        Assert.Contains("retries:", message, StringComparison.Ordinal);
        Assert.Contains("interval:", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_LargestAllowedRetrySettings_PipelineBuildsAndAsks()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(200, Canned.Patch());
        var options = Valid();
        (options.Retries, options.RetryDelay, options.RequestTimeout) = (10, TimeSpan.FromMinutes(5), TimeSpan.FromHours(1));
        ClientConfiguration.Validate(options, "client.json");
        using var client = HostClient.Connect(server.Url, options);

        var patch = await client.Api.GetPatchAsync(7);

        Assert.Equal(7, patch.Id);
    }
}
