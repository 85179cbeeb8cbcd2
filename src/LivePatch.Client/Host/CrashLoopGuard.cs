using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Host;

/// <summary>Keeps a patch that broke an apply or took the host down from being applied again and again.</summary>
/// <remarks>
/// Files in <see cref="ClientOptions.StateDirectory"/> (mode 0700), each JSON, each replaced atomically (temp, fsync, rename):
/// <list type="bullet">
/// <item><c>apply-pending.json</c>: <c>{name, level, sha256, bootId, time}</c>, written before the loader runs and
/// removed after; still there at start means the client or the host died during an apply.</item>
/// <item><c>last-apply.json</c>: the same shape, the last successful apply; a different boot ID at start, with this
/// boot beginning less than <see cref="ClientOptions.CrashWindow"/> after it, means the host went down after it.</item>
/// <item><c>quarantine.json</c>: <c>{entries: [{sha256, name, reason, time}]}</c>, kept until <see cref="Clear"/>.</item>
/// </list>
/// </remarks>
public sealed class CrashLoopGuard
{
    public const string InterruptedApply = "interrupted-apply";
    public const string HostDownAfterApply = "host-down-after-apply";

    /// <summary>The host went down within the crash window of a boot re-apply (<c>lpatch apply --boot</c>): the next boot does
    /// not re-apply it, whatever an apply before the reboot showed.</summary>
    public const string HostDownAfterBootApply = "host-down-after-boot-apply";

    private const string PendingFile = "apply-pending.json";
    private const string LastApplyFile = "last-apply.json";
    private const string QuarantineFile = "quarantine.json";

    /// <summary>The guard's files hold one record or a list of a few; a larger file is damage.</summary>
    private const int MaxFileBytes = 4 * 1024 * 1024;

    private readonly ClientOptions _options;
    private readonly TimeProvider _time;

    public CrashLoopGuard(ClientOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        PrivateDirectory.Ensure(options.StateDirectory, "stateDirectory");
    }

    /// <summary>Records that an apply starts, before the loader runs: if nothing ends it, the module is quarantined at the next start.</summary>
    /// <param name="name">The module name, for people reading the list.</param>
    /// <param name="level">The patch level.</param>
    /// <param name="moduleDigest">SHA-256 of the decompressed module (what the kernel loads): the quarantine holds whatever
    /// container the same module comes in next.</param>
    /// <param name="atBoot">A boot re-apply: judged like any apply, quarantined as <see cref="HostDownAfterBootApply"/>.</param>
    /// <returns>The record to hand to <see cref="EndApply"/>.</returns>
    public ApplyRecord BeginApply(string name, int level, string moduleDigest, bool atBoot = false)
    {
        var record = new ApplyRecord(name, level, NormalizeSha256(moduleDigest), ReadBootId(), _time.GetUtcNow(), atBoot);
        Write(PendingFile, record, CrashLoopGuardJsonContext.Default.ApplyRecord);
        return record;
    }

    /// <summary>Ends the apply <paramref name="pending"/> began: a failure quarantines the module with <paramref name="code"/>,
    /// a success becomes the last apply.</summary>
    public void EndApply(ApplyRecord pending, bool success, string? code)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (success)
        {
            Write(LastApplyFile, pending with { Time = _time.GetUtcNow() }, CrashLoopGuardJsonContext.Default.ApplyRecord);
        }
        else
        {
            Quarantine(pending, string.IsNullOrWhiteSpace(code) ? "apply-failed" : code);
        }

        File.Delete(StatePath(PendingFile));
    }

    /// <summary>Run once at start, before any apply: turns what the last run left behind into quarantine entries.</summary>
    public void ReconcileAtStart()
    {
        // The client or the host died between BeginApply and EndApply: the patch may be what killed it.
        var pending = Read(PendingFile, CrashLoopGuardJsonContext.Default.ApplyRecord);
        if (pending is not null)
        {
            Quarantine(pending, InterruptedApply);
            File.Delete(StatePath(PendingFile));
        }

        var last = Read(LastApplyFile, CrashLoopGuardJsonContext.Default.ApplyRecord);
        if (last is null || last.BootId == ReadBootId())
        {
            return;
        }

        // A new boot: judge the last apply once. Boot start comes after the crash, so the window includes the
        // reboot itself; an apply time after boot start (a clock that jumped) counts as inside the window.
        // A boot re-apply is judged the same way: it runs seconds after boot start, so a host it takes down reboots within
        // the window, and without this the next boot would re-apply it again, a crash loop in the boot itself.
        if (BootStart() - last.Time < _options.CrashWindow)
        {
            Quarantine(last, last.AtBoot ? HostDownAfterBootApply : HostDownAfterApply);
        }

        File.Delete(StatePath(LastApplyFile));
    }

    /// <summary>True when the module with this SHA-256 is quarantined; <paramref name="reason"/> is the entry's reason, empty otherwise.</summary>
    public bool IsQuarantined(string sha256, out string reason)
    {
        var key = NormalizeSha256(sha256);
        var entry = Quarantined().FirstOrDefault(e => e.Sha256 == key);
        reason = entry?.Reason ?? "";
        return entry is not null;
    }

    /// <summary>The refusal for a quarantined module, matched on its blob hash and, once known, its module digest; null when
    /// neither is quarantined.</summary>
    public UpdateFailure? RefusalOrNull(string blob, string? digest)
    {
        var reason = "";
        var hit = IsQuarantined(blob, out reason) || (digest is not null && IsQuarantined(digest, out reason));
        return hit ? new UpdateFailure(ClientErrorCodes.PatchQuarantined,
            $"this module is quarantined ({reason}); 'lpatch guard clear' lets it be tried again.") : null;
    }

    /// <summary>Every quarantined patch, oldest first.</summary>
    public IReadOnlyList<QuarantineEntry> Quarantined() =>
        Read(QuarantineFile, CrashLoopGuardJsonContext.Default.QuarantineList)?.Entries ?? [];

    /// <summary>Lifts the quarantine of one SHA-256, or of everything when null; returns how many entries were removed.</summary>
    public int Clear(string? sha256OrNull)
    {
        if (sha256OrNull is null)
        {
            // Clearing everything must work even when quarantine.json is damaged: it is the way out.
            var count = QuarantinedOrDamaged();
            Write(QuarantineFile, new QuarantineList([]), CrashLoopGuardJsonContext.Default.QuarantineList);
            return count;
        }

        var entries = Quarantined().ToList();
        var key = NormalizeSha256(sha256OrNull);
        var removed = entries.RemoveAll(e => e.Sha256 == key);
        if (removed > 0)
        {
            Write(QuarantineFile, new QuarantineList(entries), CrashLoopGuardJsonContext.Default.QuarantineList);
        }

        return removed;
    }

    private int QuarantinedOrDamaged()
    {
        try
        {
            return Quarantined().Count;
        }
        catch (ClientStateException)
        {
            return 0;
        }
    }

    private void Quarantine(ApplyRecord apply, string reason)
    {
        var entries = Quarantined().Where(e => e.Sha256 != apply.Sha256).ToList();
        entries.Add(new QuarantineEntry(apply.Sha256, apply.Name, reason, _time.GetUtcNow()));
        Write(QuarantineFile, new QuarantineList(entries), CrashLoopGuardJsonContext.Default.QuarantineList);
    }

    /// <summary>When this boot started: now minus the first field of /proc/uptime (seconds since boot, proc(5)).</summary>
    private DateTimeOffset BootStart()
    {
        var first = ReadKernelFile(_options.UptimePath, "uptimePath").Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (!double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds is < 0 or > 1e10)
        {
            throw new LivePatchFormatException(ClientErrorCodes.KernelUnreadable, $"uptimePath: {_options.UptimePath} does not start with the seconds since boot.");
        }

        return _time.GetUtcNow() - TimeSpan.FromSeconds(seconds);
    }

    private string ReadBootId() => ReadKernelFile(_options.BootIdPath, "bootIdPath").Trim();

    /// <summary>A small file the kernel provides (/proc): unreadable means the host is not what lpatch expects, a configuration error.</summary>
    private static string ReadKernelFile(string path, string setting)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(FileBytes.ReadBounded(path, 4096));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LivePatchFormatException(ClientErrorCodes.KernelUnreadable, $"{setting}: cannot read {path}: {e.Message}");
        }
    }

    private static string NormalizeSha256(string sha256)
    {
        var key = sha256.Trim().ToLowerInvariant();
        if (key.Length != 64 || !key.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{sha256}' is not a SHA-256 in hex.", nameof(sha256));
        }

        return key;
    }

    private string StatePath(string file) => Path.Combine(_options.StateDirectory, file);

    private T? Read<T>(string file, JsonTypeInfo<T> type)
        where T : class
    {
        var path = StatePath(file);
        try
        {
            var bytes = PrivateFile.ReadBoundedOrNull(path, MaxFileBytes);
            return bytes is null ? null : JsonSerializer.Deserialize(bytes, type) ?? throw new JsonException("it holds null");
        }
        catch (Exception e) when (e is JsonException or Core.LivePatchFormatException)
        {
            // Failing closed: guessing would either forget a quarantine or invent one.
            throw new ClientStateException($"The crash-loop guard's {path} is damaged ({e.Message}). 'lpatch guard clear' " +
                "empties the quarantine; for apply-pending.json or last-apply.json, move the file aside.");
        }
    }

    private void Write<T>(string file, T value, JsonTypeInfo<T> type) =>
        AtomicFile.Write(StatePath(file), JsonSerializer.SerializeToUtf8Bytes(value, type), AtomicFile.OwnerOnly);
}
