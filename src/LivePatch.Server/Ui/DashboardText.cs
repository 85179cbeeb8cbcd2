using System.Globalization;

namespace LivePatch.Server.Ui;

/// <summary>How the pages write times, sizes and lists: the same everywhere, independent of the server's culture.</summary>
public static class DashboardText
{
    /// <summary>Rows a listing page shows (a page of the API's listings: <c>limit</c>).</summary>
    public const int PageSize = 50;

    /// <summary>A time in UTC to the second, e.g. <c>2026-05-01 12:00:00 UTC</c>.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>How far <paramref name="time"/> is from <paramref name="now"/>, roughly: "in 6 days", "3 hours ago".</summary>
    public static string Relative(DateTimeOffset time, DateTimeOffset now)
    {
        var span = time - now;
        var amount = Duration(span.Duration());
        return span >= TimeSpan.Zero ? $"in {amount}" : $"{amount} ago";
    }

    /// <summary>A length of time, roughly: "6 days", "3 hours", "1 minute" (at least a minute).</summary>
    public static string Duration(TimeSpan magnitude) =>
        magnitude.TotalDays >= 2 ? Count((int)magnitude.TotalDays, "day")
        : magnitude.TotalHours >= 2 ? Count((int)magnitude.TotalHours, "hour")
        : Count(Math.Max(1, (int)magnitude.TotalMinutes), "minute");

    /// <summary>How a page names a host: its reported name, or the start of its machine id when it sent none.</summary>
    public static string Host(string? hostname, string machineId) => hostname ?? $"{machineId[..Math.Min(12, machineId.Length)]}…";

    /// <summary>A byte count, e.g. <c>12.3 KiB (12 595 bytes)</c>.</summary>
    public static string Size(long bytes)
    {
        var exact = bytes.ToString("N0", CultureInfo.InvariantCulture).Replace(',', ' ');
        return bytes < 1024 ? $"{exact} bytes"
            : bytes < 1024 * 1024 ? $"{(bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture)} KiB ({exact} bytes)"
            : $"{(bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture)} MiB ({exact} bytes)";
    }

    public static string Number(int value) => value.ToString("N0", CultureInfo.InvariantCulture).Replace(',', ' ');

    private static string Count(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";
}
