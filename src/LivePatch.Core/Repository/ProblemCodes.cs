namespace LivePatch.Core.Repository;

/// <summary>Stable problem codes of the repository API (docs/api.md); each category decides the HTTP status the server sends.</summary>
/// <remarks>Core's module codes (<see cref="ErrorCodes"/>) pass through unchanged; the two spelled the same are the same code.</remarks>
public static class ProblemCodes
{
    public static readonly ErrorCode Unauthenticated = ErrorCode.Define("unauthenticated", ErrorCategory.Unauthenticated);
    public static readonly ErrorCode Forbidden = ErrorCode.Define("forbidden", ErrorCategory.Forbidden);

    // Any request: a body that is not the JSON (valid UTF-8, no lone surrogates) the endpoint takes, a path no endpoint
    // serves, and the server's own failures. Every answer carries a code, even these.
    public static readonly ErrorCode RequestInvalid = ErrorCode.Define("request-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode NotFound = ErrorCode.Define("not-found", ErrorCategory.NotFound);
    public static readonly ErrorCode InternalError = ErrorCode.Define("internal-error", ErrorCategory.Internal);

    // The listings (GET /v1/patches, GET /v1/kernels): a limit or an after cursor they do not take.
    public static readonly ErrorCode PageInvalid = ErrorCode.Define("page-invalid", ErrorCategory.Invalid);

    // The audit trail (GET /v1/audit): an action it does not know, or a 'since' that is not a time.
    public static readonly ErrorCode AuditFilterInvalid = ErrorCode.Define("audit-filter-invalid", ErrorCategory.Invalid);

    // Reading the upload (POST /v1/patches).
    public static readonly ErrorCode MultipartRequired = ErrorCode.Define("multipart-required", ErrorCategory.Invalid);
    public static readonly ErrorCode ModulePartMissing = ErrorCode.Define("module-part-missing", ErrorCategory.Invalid);
    public static readonly ErrorCode FormInvalid = ErrorCode.Define("form-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode ModuleTooLarge = ErrorCode.Define("module-too-large", ErrorCategory.TooLarge);

    // Reading a batch (POST /v1/patches/batch): its description, its size, how many patches it holds.
    public static readonly ErrorCode BatchInvalid = ErrorCode.Define("batch-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode BatchTooLarge = ErrorCode.Define("batch-too-large", ErrorCategory.TooLarge);
    public static readonly ErrorCode TooManyPatches = ErrorCode.Define("too-many-patches", ErrorCategory.Invalid);

    // The module itself. A bad name or a missing vermagic is unusable input (400, exit 2), not a failed security check.
    public static readonly ErrorCode NotLivepatch = ErrorCodes.ModuleNotLivepatch;
    public static readonly ErrorCode ModuleNameInvalid = ErrorCode.Define("module-name-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode KernelReleaseMissing = ErrorCode.Define("kernel-release-missing", ErrorCategory.Invalid);
    public static readonly ErrorCode KernelReleaseMismatch = ErrorCode.Define("kernel-release-mismatch", ErrorCategory.Conflict);

    // The publish form's fields.
    public static readonly ErrorCode BuildIdRequired = ErrorCode.Define("build-id-required", ErrorCategory.Invalid);
    public static readonly ErrorCode BuildIdInvalid = ErrorCodes.BuildIdInvalid;
    public static readonly ErrorCode TooManyBuildIds = ErrorCode.Define("too-many-build-ids", ErrorCategory.Invalid);
    public static readonly ErrorCode LevelInvalid = ErrorCode.Define("level-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode CveInvalid = ErrorCode.Define("cve-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode SeverityInvalid = ErrorCode.Define("severity-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode DescriptionTooLong = ErrorCode.Define("description-too-long", ErrorCategory.Invalid);
    public static readonly ErrorCode DescriptionInvalid = ErrorCode.Define("description-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode ReasonRequired = ErrorCode.Define("reason-required", ErrorCategory.Invalid);

    // A channel is a resource: 404 wherever it is named, so a host's GET of an unknown channel stays a plain 404, as on a
    // static mirror (the host client relies on that).
    public static readonly ErrorCode UnknownChannel = ErrorCode.Define("unknown-channel", ErrorCategory.NotFound);

    // What is stored already.
    public static readonly ErrorCode LevelNotIncreasing = ErrorCode.Define("level-not-increasing", ErrorCategory.Conflict);
    public static readonly ErrorCode LevelConflict = ErrorCode.Define("level-conflict", ErrorCategory.Conflict);

    // Conflict, not Invalid: the request alone was fine; it is what the channel already holds that leaves no room.
    public static readonly ErrorCode LevelExhausted = ErrorCode.Define("level-exhausted", ErrorCategory.Conflict);
    // Conflict, not TooLarge: the request may be small (a promotion has no body to speak of); what the kernel's manifest
    // already holds is what leaves no room, and 413 would tell the publisher to send less.
    public static readonly ErrorCode ManifestBudgetExceeded = ErrorCode.Define("manifest-budget-exceeded", ErrorCategory.Conflict);
    public static readonly ErrorCode DuplicateModule = ErrorCode.Define("duplicate-module", ErrorCategory.Conflict);
    public static readonly ErrorCode AlreadyInChannel = ErrorCode.Define("already-in-channel", ErrorCategory.Conflict);
    public static readonly ErrorCode PatchRevoked = ErrorCode.Define("patch-revoked", ErrorCategory.Conflict);
    public static readonly ErrorCode PatchNotFound = ErrorCode.Define("patch-not-found", ErrorCategory.NotFound);

    // Blobs and API keys.
    /// <summary>No manifest for this kernel in this channel: its signed coverage bin (<c>/v1/coverage/{channel}/{prefix}</c>)
    /// proves it to hosts. Never a signed document per request.</summary>
    public static readonly ErrorCode KernelNotCovered = ErrorCode.Define("kernel-not-covered", ErrorCategory.NotFound);
    public static readonly ErrorCode PrefixInvalid = ErrorCode.Define("prefix-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode InvalidHash = ErrorCode.Define("invalid-hash", ErrorCategory.Invalid);
    public static readonly ErrorCode BlobNotFound = ErrorCode.Define("blob-not-found", ErrorCategory.NotFound);
    public static readonly ErrorCode ApiKeyInvalid = ErrorCode.Define("api-key-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode ApiKeyNotFound = ErrorCode.Define("api-key-not-found", ErrorCategory.NotFound);
    public static readonly ErrorCode ApiKeyNameInvalid = ErrorCode.Define("api-key-name-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode LastAdminKey = ErrorCode.Define("last-admin-key", ErrorCategory.Conflict);

    // A site repository's import from its vendor (POST /v1/upstream/sync). The vendor's documents and modules are verified with
    // Core's codes (cms-*, signer-*, manifest-*, index-*, coverage-*, signature-*, module checks), passed through unchanged.
    public static readonly ErrorCode UpstreamNotConfigured = ErrorCode.Define("upstream-not-configured", ErrorCategory.NotFound);
    public static readonly ErrorCode UpstreamBusy = ErrorCode.Define("upstream-busy", ErrorCategory.Busy);
    public static readonly ErrorCode UpstreamUnreachable = ErrorCode.Define("upstream-unreachable", ErrorCategory.Unreachable);
    public static readonly ErrorCode UpstreamFileMissing = ErrorCode.Define("upstream-file-missing", ErrorCategory.Unreachable);
    public static readonly ErrorCode UpstreamDigestMismatch = ErrorCode.Define("upstream-digest-mismatch", ErrorCategory.Refused);
    public static readonly ErrorCode UpstreamRollback = ErrorCode.Define("upstream-rollback", ErrorCategory.Refused);
    public static readonly ErrorCode UpstreamWrongRepository = ErrorCode.Define("upstream-wrong-repository", ErrorCategory.Refused);
    public static readonly ErrorCode UpstreamModuleMismatch = ErrorCode.Define("upstream-module-mismatch", ErrorCategory.Refused);

    // Host reports (POST /v1/reports) and the fleet questions (GET /v1/hosts, /v1/cves/{id}, /v1/patches/{id}/health).
    public static readonly ErrorCode ReportTooLarge = ErrorCode.Define("report-too-large", ErrorCategory.TooLarge);
    public static readonly ErrorCode ReportInvalid = ErrorCode.Define("report-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode ReportRateLimited = ErrorCode.Define("report-rate-limited", ErrorCategory.RateLimited);
    // Conflict, not RateLimited: waiting does not help until hosts are forgotten (LivePatch:Reports:ForgetAfter) or the bound is raised.
    public static readonly ErrorCode HostLimitReached = ErrorCode.Define("host-limit-reached", ErrorCategory.Conflict);
    public static readonly ErrorCode MachineIdInvalid = ErrorCode.Define("machine-id-invalid", ErrorCategory.Invalid);
    public static readonly ErrorCode HostNotFound = ErrorCode.Define("host-not-found", ErrorCategory.NotFound);
    public static readonly ErrorCode HostStateInvalid = ErrorCode.Define("host-state-invalid", ErrorCategory.Invalid);
}
