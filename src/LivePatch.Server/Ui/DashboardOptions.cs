using System.ComponentModel.DataAnnotations;

namespace LivePatch.Server.Ui;

/// <summary>The <c>LivePatch:Dashboard</c> section: how long a dashboard session lasts (docs/dashboard.md).</summary>
public sealed class DashboardOptions : IValidatableObject
{
    public const string Section = "LivePatch:Dashboard";

    /// <summary>A session unused this long ends (sliding: each request renews it).</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A session ends this long after its login, however busy: the key is asked for again.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SessionIdleTimeout < TimeSpan.FromMinutes(1) || SessionIdleTimeout > TimeSpan.FromDays(1))
        {
            yield return new($"{Section}:SessionIdleTimeout must be from 00:01:00 to 1.00:00:00.", [nameof(SessionIdleTimeout)]);
        }

        if (SessionLifetime < SessionIdleTimeout || SessionLifetime > TimeSpan.FromDays(30))
        {
            yield return new($"{Section}:SessionLifetime must be at least SessionIdleTimeout and at most 30.00:00:00.", [nameof(SessionLifetime)]);
        }
    }
}
