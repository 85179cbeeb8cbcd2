namespace LivePatch.Core;

/// <summary>Error codes of the mirror sync (Mirrors/, docs/mirrors.md).</summary>
public static partial class ErrorCodes
{
    // What the source served contradicts what was signed, or would take the mirror back: refused, and the target's documents
    // stay as they were (docs/mirrors.md, "Write order").
    public static readonly ErrorCode MirrorIndexRollback = ErrorCode.Define("mirror-index-rollback", ErrorCategory.Refused);
    public static readonly ErrorCode MirrorBinRollback = ErrorCode.Define("mirror-bin-rollback", ErrorCategory.Refused);
    public static readonly ErrorCode MirrorIndexTooLarge = ErrorCode.Define("mirror-index-too-large", ErrorCategory.Refused);
    public static readonly ErrorCode MirrorDocumentMismatch = ErrorCode.Define("mirror-document-mismatch", ErrorCategory.Refused);
    public static readonly ErrorCode MirrorBlobMismatch = ErrorCode.Define("mirror-blob-mismatch", ErrorCategory.Refused);
    public static readonly ErrorCode MirrorNameInvalid = ErrorCode.Define("mirror-name-invalid", ErrorCategory.Refused);

    // The source could not be read, or lacks a file its signed documents name: as a host treats a mirror without the file
    // (coverage-not-found), exit 3, so a timer retries later.
    public static readonly ErrorCode MirrorSourceUnreachable = ErrorCode.Define("mirror-source-unreachable", ErrorCategory.Unreachable);
    public static readonly ErrorCode MirrorSourceIncomplete = ErrorCode.Define("mirror-source-incomplete", ErrorCategory.Unreachable);

    // The target: its index does not verify against the given roots (another repository's tree, or damaged), it could not be
    // written, or its kind is not available in this build.
    public static readonly ErrorCode MirrorTargetInvalid = ErrorCode.Define("mirror-target-invalid", ErrorCategory.Configuration);
    public static readonly ErrorCode MirrorTargetFailed = ErrorCode.Define("mirror-target-failed", ErrorCategory.Unreachable);
    public static readonly ErrorCode MirrorTargetUnsupported = ErrorCode.Define("mirror-target-unsupported", ErrorCategory.Invalid);

    // Another sync or import is writing the same folder (it holds the folder's lock): exit 5, as lpatch's own run lock.
    public static readonly ErrorCode MirrorTargetBusy = ErrorCode.Define("mirror-target-busy", ErrorCategory.Busy);

    // --channel naming a channel the source's index does not list.
    public static readonly ErrorCode MirrorChannelUnknown = ErrorCode.Define("mirror-channel-unknown", ErrorCategory.Invalid);
}
