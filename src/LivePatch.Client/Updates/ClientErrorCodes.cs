using LivePatch.Core;

namespace LivePatch.Client.Updates;

/// <summary>Stable codes of the host client's refusals and failures (docs/client.md), each with its category, which alone
/// decides the exit code (<see cref="ErrorCategories"/>); Core's verification codes pass through.</summary>
public static class ClientErrorCodes
{
    public static readonly ErrorCode KernelUnreadable = new("kernel-unreadable", ErrorCategory.Configuration);
    public static readonly ErrorCode RepositoryUnreachable = new("repository-unreachable", ErrorCategory.Unreachable);
    public static readonly ErrorCode ManifestTooLarge = new("manifest-too-large", ErrorCategory.Refused);
    public static readonly ErrorCode ManifestRollback = new("manifest-rollback", ErrorCategory.Refused);

    // After a manifest 404 (docs/manifests.md, "Coverage bins"). A missing bin is a mirror without the file, as a bare 404
    // was before bins: unreachable, so the next repository is tried and a timer does not count it as a refusal. A bin that
    // lists the kernel proves the 404 hides a manifest that exists: a security refusal, like any forged answer.
    public static readonly ErrorCode CoverageNotFound = new("coverage-not-found", ErrorCategory.Unreachable);
    public static readonly ErrorCode CoverageTooLarge = new("coverage-too-large", ErrorCategory.Refused);
    public static readonly ErrorCode CoverageRollback = new("coverage-rollback", ErrorCategory.Refused);
    public static readonly ErrorCode ManifestWithheld = new("manifest-withheld", ErrorCategory.Refused);
    public static readonly ErrorCode DownloadFailed = new("download-failed", ErrorCategory.Unreachable);
    public static readonly ErrorCode DownloadTooLarge = new("download-too-large", ErrorCategory.Refused);
    public static readonly ErrorCode DownloadHashMismatch = new("download-hash-mismatch", ErrorCategory.Refused);
    public static readonly ErrorCode ModuleSignerMismatch = new("module-signer-mismatch", ErrorCategory.Refused);
    public static readonly ErrorCode ModuleNameMismatch = new("module-name-mismatch", ErrorCategory.Refused);
    public static readonly ErrorCode ModuleKernelMismatch = new("module-kernel-mismatch", ErrorCategory.Refused);
    public static readonly ErrorCode ModuleRevoked = new("module-revoked", ErrorCategory.Refused);
    public static readonly ErrorCode PatchQuarantined = new("patch-quarantined", ErrorCategory.Loader);

    // lpatch apply --boot (docs/loaders.md, "Re-apply at boot"): what the host keeps locally is missing (exit 2), or no longer
    // allows the patch it ran before the reboot (exit 1). Either way nothing is loaded; the next networked apply decides.
    public static readonly ErrorCode BootManifestMissing = new("boot-manifest-missing", ErrorCategory.Invalid);
    public static readonly ErrorCode BootModuleMissing = new("boot-module-missing", ErrorCategory.Invalid);
    public static readonly ErrorCode BootModuleChanged = new("boot-module-changed", ErrorCategory.Refused);
    public static readonly ErrorCode BootPatchRevoked = new("boot-patch-revoked", ErrorCategory.Refused);
    public static readonly ErrorCode BootPatchNotOffered = new("boot-patch-not-offered", ErrorCategory.Refused);
    public static readonly ErrorCode ConfigurationInvalid = new("configuration-invalid", ErrorCategory.Configuration);
    public static readonly ErrorCode StateCorrupt = new("state-corrupt", ErrorCategory.Configuration);
    public static readonly ErrorCode StatePathUnsafe = new(Host.UnsafePathException.ErrorCode, ErrorCategory.Configuration);
    public static readonly ErrorCode Busy = new(Host.LpatchBusyException.ErrorCode, ErrorCategory.Busy);
    public static readonly ErrorCode NotHeld = new("not-held", ErrorCategory.Configuration);
    public static readonly ErrorCode InputUnreadable = new("input-unreadable", ErrorCategory.Invalid);

    // lpatch status --prometheus FILE (docs/client.md, "Metrics for node_exporter"): nothing is written, exit 2.
    public static readonly ErrorCode MetricsNameInvalid = new("metrics-name-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode MetricsFolderMissing = new("metrics-folder-missing", ErrorCategory.Configuration);
    public static readonly ErrorCode MetricsPathUnsafe = new("metrics-path-unsafe", ErrorCategory.Configuration);
    public static readonly ErrorCode MetricsWriteFailed = new("metrics-write-failed", ErrorCategory.Configuration);
    public static readonly ErrorCode Internal = new("internal", ErrorCategory.Internal);

    // Host reports (docs/reports.md): printed as warnings, never an exit code; a report never changes how a run ends.
    public static readonly ErrorCode ReportFailed = new("report-failed", ErrorCategory.Unreachable);
    public static readonly ErrorCode ReportMachineIdInvalid = new("report-machine-id-invalid", ErrorCategory.Configuration);
    public static readonly ErrorCode ReportTokenInvalid = new("report-token-invalid", ErrorCategory.Configuration);

    /// <summary>A loader's code (<see cref="Loading.LoaderErrorCodes"/>): a loader failure, but for removing what is not applied,
    /// which says the operator's command was wrong.</summary>
    public static ErrorCode OfLoader(string? code) => code == Loading.LoaderErrorCodes.NotApplied
        ? new(code, ErrorCategory.Configuration)
        : new(code ?? "loader-failed", ErrorCategory.Loader);

    /// <summary>A code a repository sent in a problem document: its defined category, or <paramref name="fallback"/>.</summary>
    public static ErrorCode OfProblem(string code, ErrorCategory fallback) => ErrorCode.FindOrNull(code) ?? new(code, fallback);
}

/// <summary>Why an update step stopped: the stable code with its category, and a message that says what and where.</summary>
public sealed record UpdateFailure(ErrorCode Error, string Message)
{
    public string Code => Error.Code;

    public ErrorCategory Category => Error.Category;

    public static UpdateFailure Refused(ErrorCode code, string message) => new(code, message);

    public static UpdateFailure Refused(VerificationIssue issue) => new(issue.Error, issue.Message);

    public override string ToString() => $"[{Code}] {Message}";
}
