using System.ComponentModel.DataAnnotations;

namespace LivePatch.Server.Hosts;

/// <summary>The <c>LivePatch:Reports</c> section: how host reports are taken in, kept and forgotten (docs/reports.md).</summary>
public sealed class ReportsOptions : IValidatableObject
{
    public const string Section = "LivePatch:Reports";

    /// <summary>A host's next report is refused (429) until this long after its last accepted one.</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Hosts one API key may add per minute: a leaked reporter key cannot fill the database in one go.</summary>
    public int NewHostsPerKeyPerMinute { get; set; } = 1000;

    /// <summary>Hosts kept at most; a report of a new host beyond it is refused (409) until silent hosts are forgotten.</summary>
    public int MaxHosts { get; set; } = 100_000;

    /// <summary>Reports kept per host (the last report is always kept, as the host's document).</summary>
    public int History { get; set; } = 50;

    /// <summary>A host without a report for this long is <c>stale</c>.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A host without a report for this long is forgotten, with its history.</summary>
    public TimeSpan ForgetAfter { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often silent hosts are looked for: a tenth of <see cref="ForgetAfter"/>, at most hourly.</summary>
    public TimeSpan SweepPeriod => TimeSpan.FromTicks(Math.Min(ForgetAfter.Ticks / 10, TimeSpan.FromHours(1).Ticks));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinInterval < TimeSpan.FromSeconds(1) || MinInterval > TimeSpan.FromHours(1))
        {
            yield return new($"{Section}:MinInterval must be from 00:00:01 to 01:00:00.", [nameof(MinInterval)]);
        }

        if (NewHostsPerKeyPerMinute is < 1 or > 1_000_000)
        {
            yield return new($"{Section}:NewHostsPerKeyPerMinute must be from 1 to 1000000.", [nameof(NewHostsPerKeyPerMinute)]);
        }

        if (MaxHosts is < 1 or > 10_000_000)
        {
            yield return new($"{Section}:MaxHosts must be from 1 to 10000000.", [nameof(MaxHosts)]);
        }

        if (History is < 1 or > 1000)
        {
            yield return new($"{Section}:History must be from 1 to 1000.", [nameof(History)]);
        }

        if (StaleAfter < TimeSpan.FromMinutes(1) || StaleAfter > TimeSpan.FromDays(365))
        {
            yield return new($"{Section}:StaleAfter must be from 00:01:00 to 365.00:00:00.", [nameof(StaleAfter)]);
        }

        if (ForgetAfter < TimeSpan.FromHours(1) || ForgetAfter > TimeSpan.FromDays(3650) || ForgetAfter <= StaleAfter)
        {
            yield return new($"{Section}:ForgetAfter must be from 01:00:00 to 3650.00:00:00, and longer than StaleAfter.", [nameof(ForgetAfter)]);
        }
    }
}
