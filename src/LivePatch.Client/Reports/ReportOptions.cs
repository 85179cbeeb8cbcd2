namespace LivePatch.Client.Reports;

/// <summary>client.json's <c>report</c> section: where this host reports after each run, and with which key (docs/reports.md).
/// Absent (null) = no reports.</summary>
public sealed class ReportOptions
{
    /// <summary>The longest a report may take: it runs after the update, and a host's timer should not wait on telemetry.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(1);

    /// <summary>The repository or site repository to report to (<c>http://</c> or <c>https://</c>; reports go to <c>/v1/reports</c> under it).</summary>
    public string Url { get; set; } = "";

    /// <summary>A file holding a <c>reporter</c> API key: a regular file owned by the user running lpatch, mode 0600 or stricter.</summary>
    public string TokenFile { get; set; } = "";

    /// <summary>Whether the report carries the host's name.</summary>
    public bool Hostname { get; set; } = true;

    /// <summary>machine-id(5), hashed with the URL into the id the host reports under (configurable for tests).</summary>
    public string MachineIdPath { get; set; } = "/etc/machine-id";

    /// <summary>The whole report's time limit, retry included (at boot at most <see cref="HostReporter.BootTimeout"/>).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Adds a problem naming the setting for each one that is wrong.</summary>
    public void Validate(List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            problems.Add($"report.url: '{Url}' is not an http:// or https:// URL without a query");
        }

        if (string.IsNullOrWhiteSpace(TokenFile) || !Path.IsPathFullyQualified(TokenFile))
        {
            problems.Add("report.tokenFile: give the absolute path of the file holding the reporter API key");
        }

        if (string.IsNullOrWhiteSpace(MachineIdPath))
        {
            problems.Add("report.machineIdPath: must be set (default /etc/machine-id)");
        }

        if (Timeout < TimeSpan.FromSeconds(1) || Timeout > MaxTimeout)
        {
            problems.Add($"report.timeout: must be between 00:00:01 and {MaxTimeout:c}");
        }
    }
}
