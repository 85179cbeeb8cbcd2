using System.Globalization;
using LivePatch.Client.Host;
using LivePatch.Client.Updates;
using LivePatch.Core;
using LivePatch.Core.Repository;

namespace LivePatch.Client.Reports;

/// <summary>What a report is made of: the run, the state it left, the guard's quarantine and the host.</summary>
internal sealed record ReportInputs(
    string MachineId,
    string Command,
    UpdateResult Result,
    ClientState State,
    IReadOnlyList<QuarantineEntry> Quarantined,
    HostKernel Kernel,
    DateTimeOffset Now);

/// <summary>Builds the <see cref="HostReport"/> of one run, within <see cref="HostReportLimits"/> so the server takes it.</summary>
internal static class HostReportBuilder
{
    public static HostReport Build(ClientOptions options, ReportInputs inputs)
    {
        var state = inputs.State;
        return new HostReport
        {
            MachineId = inputs.MachineId,
            Hostname = options.Report!.Hostname ? HostnameOrNull() : null,
            Kernel = new ReportedKernel(inputs.Kernel.BuildId.Hex, inputs.Kernel.Release),
            Channel = options.Channel,
            RepositoryId = state.RepositoryId ?? options.RepositoryId,
            // What lpatch applied to this kernel; records of another kernel (before a reboot) are not loaded.
            Applied = [.. state.Applied.Where(a => a.BuildId == inputs.Kernel.BuildId.Hex).Take(HostReportLimits.MaxApplied)
                .Select(a => new ReportedPatch { Name = a.Name, Level = a.Level, Sha256 = a.Sha256, Cves = [.. a.Cves.Take(Core.Manifests.ManifestLimits.MaxCvesPerPatch)] })],
            Holds = [.. state.Holds.Take(HostReportLimits.MaxHolds)],
            Quarantined = [.. inputs.Quarantined.Take(HostReportLimits.MaxQuarantined).Select(q => new ReportedQuarantine(q.Sha256, q.Name, Code(q.Reason)))],
            Outcome = OutcomeOf(inputs.Command, inputs.Result),
            Time = inputs.Now,
            ClientVersion = RepositoryClient.UserAgent.Product!.Version!,
            UptimeSeconds = UptimeOrNull(options.UptimePath),
        };
    }

    private static ReportedOutcome OutcomeOf(string command, UpdateResult result)
    {
        return new ReportedOutcome
        {
            Command = command,
            Action = result.ActionName,
            Code = result.Failure is { } failure ? Code(failure.Code) : null,
            ExitCode = result.Failure is { } f ? ErrorCategories.ExitCode(f.Category) : 0,
            Message = DisplayText.Escape(result.Message, HostReportLimits.MaxMessageLength),
            Target = result.Plan?.Target is { } t ? new ReportedTarget(t.Name, t.Level, t.Sha256) : null,
        };
    }

    /// <summary>gethostname(2), when it is a host name the server takes; otherwise none is sent.</summary>
    private static string? HostnameOrNull()
    {
        var name = System.Net.Dns.GetHostName();
        return name.Length is > 0 and <= HostReportLimits.MaxHostnameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') ? name : null;
    }

    /// <summary>Seconds since boot: the first field of /proc/uptime, whole; null when it cannot be read.</summary>
    private static long? UptimeOrNull(string path)
    {
        try
        {
            var first = System.Text.Encoding.UTF8.GetString(FileBytes.ReadBounded(path, 4096)).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0 and <= HostReportLimits.MaxUptimeSeconds
                ? (long)seconds : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LivePatchFormatException)
        {
            return null;
        }
    }

    /// <summary>Codes are kebab-case already; one that is not (a repository's problem code, a hand-edited guard file) is made one,
    /// so that the server does not refuse the whole report for it.</summary>
    private static string Code(string code)
    {
        var kebab = new string([.. code.ToLowerInvariant().Select(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) ? c : '-')]);
        return kebab.Length is > 0 and <= HostReportLimits.MaxIdentifierLength ? kebab : "unknown";
    }
}
