namespace LivePatch.Core;

/// <summary>Error codes of mirror bundles (docs/mirrors.md, "The air gap"): what a bundle file is refused for before any of
/// its content is verified.</summary>
public static partial class ErrorCodes
{
    // The file itself: not zstd, not tar, cut short (Mirrors/Bundles/BundleExtractor).
    public static readonly ErrorCode BundleCorrupt = ErrorCode.Define("bundle-corrupt", ErrorCategory.Invalid);

    // An entry that is not a regular file of the read tree, or a name twice.
    public static readonly ErrorCode BundleEntryInvalid = ErrorCode.Define("bundle-entry-invalid", ErrorCategory.Invalid);

    // More entries or bytes than BundleLimits allows, or one entry over its kind's cap.
    public static readonly ErrorCode BundleTooLarge = ErrorCode.Define("bundle-too-large", ErrorCategory.TooLarge);

    // No signed index: nothing in the bundle can be verified (a bundle cut short loses its index, written last).
    public static readonly ErrorCode BundleIndexMissing = ErrorCode.Define("bundle-index-missing", ErrorCategory.Invalid);
}
