using LivePatch.Client.Updates;
using LivePatch.Client.Host;
using Microsoft.Extensions.Time.Testing;

namespace LivePatch.Client.Tests.Host;

public sealed class CrashLoopGuardTests : IDisposable
{
    private static readonly string Sha = new('a', 64);
    private static readonly string OtherSha = new('b', 64);

    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-guard-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ClientOptions _options;

    public CrashLoopGuardTests()
    {
        _options = new ClientOptions
        {
            StateDirectory = Path.Combine(_root, "state"),
            BootIdPath = Path.Combine(_root, "boot_id"),
            UptimePath = Path.Combine(_root, "uptime"),
            CrashWindow = TimeSpan.FromMinutes(10),
        };
        Boot("11111111-1111-1111-1111-111111111111", uptime: TimeSpan.FromHours(5));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>The host (re)booted <paramref name="uptime"/> ago with this boot ID.</summary>
    private void Boot(string bootId, TimeSpan uptime)
    {
        File.WriteAllText(_options.BootIdPath, bootId + "\n");
        File.WriteAllText(_options.UptimePath, $"{uptime.TotalSeconds:0.00} 1234.56\n");
    }

    private CrashLoopGuard Guard() => new(_options, _time);

    [Fact]
    public void Constructor_NoStateDirectory_CreatesItWithMode0700()
    {
        Guard();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_options.StateDirectory));
    }

    [Fact]
    public void ReconcileAtStart_PendingMarkerLeftOver_QuarantinesAsInterruptedApply()
    {
        Guard().BeginApply("lp_sample", 3, Sha);

        var guard = Guard();
        guard.ReconcileAtStart();

        Assert.True(guard.IsQuarantined(Sha, out var reason));
        Assert.Equal(CrashLoopGuard.InterruptedApply, reason);
        Assert.Equal([new QuarantineEntry(Sha, "lp_sample", CrashLoopGuard.InterruptedApply, _time.GetUtcNow())], guard.Quarantined());
    }

    [Fact]
    public void EndApply_Failure_QuarantinesWithTheCodeAndClearsThePendingMarker()
    {
        var guard = Guard();
        var pending = guard.BeginApply("lp_sample", 3, Sha);

        guard.EndApply(pending, success: false, code: "transition-stalled");
        guard.ReconcileAtStart();

        Assert.True(guard.IsQuarantined(Sha, out var reason));
        Assert.Equal("transition-stalled", reason);
        Assert.False(File.Exists(Path.Combine(_options.StateDirectory, "apply-pending.json")));
    }

    [Fact]
    public void EndApply_Success_RecordsLastApplyAndQuarantinesNothing()
    {
        var guard = Guard();
        var pending = guard.BeginApply("lp_sample", 3, Sha);

        guard.EndApply(pending, success: true, code: null);
        guard.ReconcileAtStart();

        Assert.False(guard.IsQuarantined(Sha, out var reason));
        Assert.Equal("", reason);
        Assert.True(File.Exists(Path.Combine(_options.StateDirectory, "last-apply.json")));
    }

    [Fact]
    public void ReconcileAtStart_HostDownWithinTheWindow_QuarantinesAsHostDownAfterApply()
    {
        var guard = Guard();
        var pending = guard.BeginApply("lp_sample", 3, Sha);
        guard.EndApply(pending, success: true, code: null);

        // Three minutes later the host is up again after a crash: it booted one minute ago.
        _time.Advance(TimeSpan.FromMinutes(3));
        Boot("22222222-2222-2222-2222-222222222222", uptime: TimeSpan.FromMinutes(1));
        Guard().ReconcileAtStart();

        Assert.True(Guard().IsQuarantined(Sha, out var reason));
        Assert.Equal(CrashLoopGuard.HostDownAfterApply, reason);
    }

    [Fact]
    public void ReconcileAtStart_RebootOutsideTheWindow_QuarantinesNothing()
    {
        var guard = Guard();
        var pending = guard.BeginApply("lp_sample", 3, Sha);
        guard.EndApply(pending, success: true, code: null);

        _time.Advance(TimeSpan.FromHours(2));
        Boot("22222222-2222-2222-2222-222222222222", uptime: TimeSpan.FromMinutes(1));
        Guard().ReconcileAtStart();

        Assert.Empty(Guard().Quarantined());
    }

    [Fact]
    public void ReconcileAtStart_SameBoot_QuarantinesNothing()
    {
        var guard = Guard();
        var pending = guard.BeginApply("lp_sample", 3, Sha);
        guard.EndApply(pending, success: true, code: null);

        _time.Advance(TimeSpan.FromMinutes(1));
        Guard().ReconcileAtStart();

        Assert.Empty(Guard().Quarantined());
    }

    [Fact]
    public void Clear_OneSha_LiftsOnlyThatQuarantine()
    {
        var guard = Guard();
        Quarantine(guard, Sha);
        Quarantine(guard, OtherSha);

        Assert.Equal(1, guard.Clear(Sha.ToUpperInvariant()));

        Assert.False(guard.IsQuarantined(Sha, out _));
        Assert.True(guard.IsQuarantined(OtherSha, out _));
    }

    [Fact]
    public void Clear_Null_LiftsEveryQuarantine()
    {
        var guard = Guard();
        Quarantine(guard, Sha);
        Quarantine(guard, OtherSha);

        Assert.Equal(2, guard.Clear(null));

        Assert.Empty(guard.Quarantined());
    }

    [Fact]
    public void BeginApply_NotASha256_Throws()
    {
        Assert.Throws<ArgumentException>(() => Guard().BeginApply("lp_sample", 1, "../../etc/passwd"));
    }

    [Fact]
    public void Quarantined_CorruptFile_ThrowsRatherThanForgetting()
    {
        var guard = Guard();
        File.WriteAllText(Path.Combine(_options.StateDirectory, "quarantine.json"), "{not json");

        Assert.Throws<ClientStateException>(() => guard.IsQuarantined(Sha, out _));
    }

    private static void Quarantine(CrashLoopGuard guard, string sha)
    {
        var pending = guard.BeginApply("lp_sample", 1, sha);
        guard.EndApply(pending, success: false, code: "insmod-failed");
    }
}
