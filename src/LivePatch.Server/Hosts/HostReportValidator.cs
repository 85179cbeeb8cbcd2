using System.Text.RegularExpressions;
using LivePatch.Core.Manifests;
using LivePatch.Core.Modules;
using LivePatch.Core.Repository;
using LivePatch.Server.Api;
using LivePatch.Server.Configuration;

namespace LivePatch.Server.Hosts;

/// <summary>Checks a host report field by field against <see cref="HostReportLimits"/>: the first field that is wrong is named in a
/// <c>report-invalid</c> problem, and nothing is stored.</summary>
/// <remarks>Reporter keys sit on every host, so a report is untrusted input: every string is bounded and free of control
/// characters before it can reach a log, a listing or a terminal.</remarks>
public static partial class HostReportValidator
{
    /// <summary>What a run's command is called in a report.</summary>
    public static IReadOnlyList<string> Commands { get; } = ["check", "apply", "boot", "daemon"];

    /// <summary>Null when the report is well formed; otherwise the problem naming the first bad field.</summary>
    public static string? ProblemOrNull(HostReport? report)
    {
        if (report is null)
        {
            return "the body is not a report";
        }

        return Check(report.Schema == HostReport.CurrentSchema, "schema", $"must be {HostReport.CurrentSchema}")
            ?? Check(MachineId.IsValid(report.MachineId), "machineId", "must be 64 lowercase hex digits")
            ?? Check(report.Hostname is null || Hostname().IsMatch(report.Hostname), "hostname",
                $"must be 1 to {HostReportLimits.MaxHostnameLength} characters of letters, digits, '.', '-', '_'")
            ?? KernelProblem(report.Kernel)
            ?? Check(RepositoryOptions.IsChannelName(report.Channel), "channel", "must be a channel name (1-32 characters of a-z, 0-9, '-')")
            ?? Check(report.RepositoryId is null || RepositoryId().IsMatch(report.RepositoryId), "repositoryId", "must be 1-63 characters of a-z, 0-9, '.', '-'")
            ?? AppliedProblem(report.Applied)
            ?? Check(report.Holds is { Count: <= HostReportLimits.MaxHolds } holds && holds.All(ModuleNames.IsValid), "holds",
                $"at most {HostReportLimits.MaxHolds} module names")
            ?? QuarantineProblem(report.Quarantined)
            ?? OutcomeProblem(report.Outcome)
            ?? Check(report.Time >= ManifestLimits.MinDate && report.Time <= ManifestLimits.MaxDate, "time", "must be between 2000 and 2200")
            ?? Check(Identifier(report.ClientVersion, VersionText()), "clientVersion", "must be 1 to 64 characters of letters, digits, '.', '+', '-'")
            ?? Check(report.UptimeSeconds is null or (>= 0 and <= HostReportLimits.MaxUptimeSeconds), "uptimeSeconds", "must be 0 or more, at most a hundred years");
    }

    private static string? KernelProblem(ReportedKernel? kernel) =>
        Check(kernel is not null, "kernel", "is required")
        ?? Check(kernel!.BuildId is { } id && ReadNames.IsBuildId(id), "kernel.buildId", "must be 16 to 128 lowercase hex digits")
        ?? Check(kernel.Release is { Length: > 0 and <= HostReportLimits.MaxReleaseLength } release && release.All(IsVisibleAscii), "kernel.release",
            $"must be 1 to {HostReportLimits.MaxReleaseLength} printable ASCII characters without spaces");

    private static string? AppliedProblem(IReadOnlyList<ReportedPatch>? applied)
    {
        if (applied is not { Count: <= HostReportLimits.MaxApplied })
        {
            return $"applied: at most {HostReportLimits.MaxApplied} patches";
        }

        for (var i = 0; i < applied.Count; i++)
        {
            var problem = PatchProblem(applied[i]?.Name, applied[i]?.Level ?? 0, applied[i]?.Sha256, $"applied[{i}]")
                ?? Check(applied[i].Cves is { Count: <= ManifestLimits.MaxCvesPerPatch } cves && cves.All(ManifestLimits.IsCveId), $"applied[{i}].cves",
                    $"at most {ManifestLimits.MaxCvesPerPatch} CVE ids like CVE-2024-1086");
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? QuarantineProblem(IReadOnlyList<ReportedQuarantine>? quarantined)
    {
        if (quarantined is not { Count: <= HostReportLimits.MaxQuarantined })
        {
            return $"quarantined: at most {HostReportLimits.MaxQuarantined} entries";
        }

        for (var i = 0; i < quarantined.Count; i++)
        {
            var q = quarantined[i];
            var problem = Check(q is not null && IsSha256(q.Sha256), $"quarantined[{i}].sha256", "must be 64 lowercase hex digits")
                ?? Check(ModuleNames.IsValid(q!.Name), $"quarantined[{i}].name", "must be a module name")
                ?? Check(Identifier(q.Reason, Code()), $"quarantined[{i}].reason", "must be a code (a-z, 0-9, '-')");
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? OutcomeProblem(ReportedOutcome? outcome) =>
        Check(outcome is not null, "outcome", "is required")
        ?? Check(Commands.Contains(outcome!.Command), "outcome.command", $"must be one of {string.Join(", ", Commands)}")
        ?? Check(Identifier(outcome.Action, Code()), "outcome.action", "must be an action (a-z, '-')")
        ?? Check(outcome.Code is null || Identifier(outcome.Code, Code()), "outcome.code", "must be a code (a-z, 0-9, '-')")
        ?? Check(outcome.ExitCode is >= 0 and <= 255, "outcome.exitCode", "must be 0 to 255")
        ?? Check(outcome.Message is null || (outcome.Message.Length <= HostReportLimits.MaxMessageLength && !outcome.Message.Any(char.IsControl)),
            "outcome.message", $"at most {HostReportLimits.MaxMessageLength} characters, no control characters")
        ?? (outcome.Target is { } t ? PatchProblem(t.Name, t.Level, t.Sha256, "outcome.target") : null);

    private static string? PatchProblem(string? name, int level, string? sha256, string path) =>
        Check(ModuleNames.IsValid(name), $"{path}.name", "must be a module name (1 to 55 characters of A-Z, a-z, 0-9, '_', '-')")
        ?? Check(level is > 0 and <= ManifestLimits.MaxLevel, $"{path}.level", $"must be 1 to {ManifestLimits.MaxLevel}")
        ?? Check(IsSha256(sha256), $"{path}.sha256", "must be 64 lowercase hex digits");

    private static bool Identifier(string? value, Regex pattern) =>
        value is { Length: > 0 and <= HostReportLimits.MaxIdentifierLength } && pattern.IsMatch(value);

    private static bool IsVisibleAscii(char c) => c is > ' ' and < '\u007f';

    private static bool IsSha256(string? value) => MachineId.IsValid(value); // the same form: 64 lowercase hex digits

    private static string? Check(bool condition, string field, string rule) => condition ? null : $"{field}: {rule}";

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,253}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Hostname();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9.-]{0,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex RepositoryId();

    [GeneratedRegex(@"^[a-z0-9-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Code();

    [GeneratedRegex(@"^[A-Za-z0-9.+-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex VersionText();
}

/// <summary>The form of a machine id: the hex SHA-256 a host derives (docs/reports.md), the only key of a host.</summary>
public static class MachineId
{
    public static bool IsValid(string? value) => value is { Length: 64 } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
