using System.Text.Json.Serialization;

namespace LivePatch.Cli.Commands;

/// <summary>What <c>lpatch status --json</c> prints.</summary>
internal sealed record StatusView(KernelView? Kernel, string? KernelError, IReadOnlyList<AppliedView> Applied,
    IReadOnlyList<string> LoadedNotRecorded, LastCheckView? LastCheck, IReadOnlyList<QuarantineView> Quarantined, string? AutoApplyDisabled,
    IReadOnlyList<string> Holds, IReadOnlyList<RevocationView> Revocations, NotCoveredView? NotCovered, ReportView? Report = null);

/// <summary>Host reports: off (no <c>report</c> in client.json), never made yet, or the last one: <c>outcome</c> is <c>sent</c>,
/// <c>failed</c> or <c>skipped</c>, with the warning's code.</summary>
internal sealed record ReportView(bool Enabled, string? Url, DateTimeOffset? At, string? Outcome, string? Code, string? Message, string? MachineId, string? Command);

/// <summary>A verified "not covered": repository, channel and kernel, the coverage bin that said so, when it was signed
/// (<c>issued</c>: what the answer is true as of) and when this host checked (<c>at</c>).</summary>
/// <remarks><c>RunningKernel</c> is false when the answer is about another kernel than the one running now (the host
/// rebooted into another and has not checked since); true when the running kernel cannot be read.</remarks>
internal sealed record NotCoveredView(string Repository, string Channel, string BuildId, string Release, string Prefix, ulong BinVersion,
    DateTimeOffset Issued, DateTimeOffset At, string Server, bool RunningKernel, string Message);

/// <summary>A patch the vendor revoked, with the vendor's reason.</summary>
internal sealed record RevocationView(string Name, int Level, string Sha256, string Reason, DateTimeOffset RevokedAt, bool WasApplied);

internal sealed record KernelView(string BuildId, string Release);

internal sealed record AppliedView(string Name, int Level, string Sha256, IReadOnlyList<string> Cves, DateTimeOffset AppliedAt, bool Loaded);

internal sealed record LastCheckView(DateTimeOffset At, string Outcome, string? Code, string Message, string? Repository, int? ExitCode);

internal sealed record QuarantineView(string Sha256, string Reason);

/// <summary>What <c>lpatch check --json</c> and <c>lpatch apply --json</c> print.</summary>
internal sealed record UpdateView(string Action, string Message, int ExitCode, FailureView? Failure, string? Repository, ulong? ManifestVersion,
    PatchView? Target, IReadOnlyList<PatchView> Available, IReadOnlyList<PatchView> HeldBack, IReadOnlyList<string> Revoked,
    IReadOnlyList<RevocationView> Revocations, IReadOnlyList<FailureView> Attempts, NotCoveredView? NotCovered);

internal sealed record PatchView(string Name, int Level, string Sha256, long Size, IReadOnlyList<string> Cves, string? Severity, DateTimeOffset Published);

internal sealed record FailureView(string Code, string Kind, string Message);

/// <summary>Source-generated JSON (Native AOT) for the host commands' output.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StatusView))]
[JsonSerializable(typeof(UpdateView))]
internal sealed partial class HostJson : JsonSerializerContext;
