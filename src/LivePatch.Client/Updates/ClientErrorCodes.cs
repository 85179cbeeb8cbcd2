namespace LivePatch.Client.Updates;

/// <summary>Stable codes of the host client's refusals and failures (docs/client.md); Core's verification codes pass through.</summary>
public static class ClientErrorCodes
{
    public const string KernelUnreadable = "kernel-unreadable";
    public const string RepositoryUnreachable = "repository-unreachable";
    public const string ManifestNotFound = "manifest-not-found";
    public const string ManifestTooLarge = "manifest-too-large";
    public const string ManifestRollback = "manifest-rollback";
    public const string DownloadFailed = "download-failed";
    public const string DownloadTooLarge = "download-too-large";
    public const string DownloadSizeMismatch = "download-size-mismatch";
    public const string DownloadHashMismatch = "download-hash-mismatch";
    public const string ModuleSignerMismatch = "module-signer-mismatch";
    public const string ModuleNameMismatch = "module-name-mismatch";
    public const string ModuleKernelMismatch = "module-kernel-mismatch";
    public const string PatchQuarantined = "patch-quarantined";
    public const string ConfigurationInvalid = "configuration-invalid";
}

/// <summary>What kind of failure a refusal is: it decides the exit code (README "Exit codes").</summary>
public enum FailureKind
{
    /// <summary>A security check failed: exit 1.</summary>
    Verification,

    /// <summary>Bad configuration or local input: exit 2.</summary>
    Configuration,

    /// <summary>No repository could be reached: exit 3.</summary>
    Unreachable,

    /// <summary>The loader failed: exit 4.</summary>
    Loader,
}

/// <summary>Why an update step stopped: kind, stable code, and a message that says what and where.</summary>
public sealed record UpdateFailure(FailureKind Kind, string Code, string Message)
{
    public static UpdateFailure Refused(string code, string message) => new(FailureKind.Verification, code, message);

    public static UpdateFailure Refused(LivePatch.Core.VerificationIssue issue) => new(FailureKind.Verification, issue.Code, issue.Message);

    public override string ToString() => $"[{Code}] {Message}";
}
