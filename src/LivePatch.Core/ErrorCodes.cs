namespace LivePatch.Core;

/// <summary>Stable error codes of Core's parsers and verifiers; docs/error-codes.md explains each.</summary>
/// <remarks>
/// Codes never change meaning once released: tools and scripts match on them. Each code's <see cref="ErrorCategory"/>
/// decides the exit code and HTTP status: parse errors are Invalid, verification failures Refused.
/// </remarks>
public static partial class ErrorCodes
{
    // ELF and note parsing (Elf/, Kernel/).
    public static readonly ErrorCode ElfTruncated = ErrorCode.Define("elf-truncated", ErrorCategory.Invalid);
    public static readonly ErrorCode ElfBadMagic = ErrorCode.Define("elf-bad-magic", ErrorCategory.Invalid);
    public static readonly ErrorCode ElfUnsupported = ErrorCode.Define("elf-unsupported", ErrorCategory.Invalid);
    public static readonly ErrorCode ElfMalformed = ErrorCode.Define("elf-malformed", ErrorCategory.Invalid);
    public static readonly ErrorCode NoteMalformed = ErrorCode.Define("note-malformed", ErrorCategory.Invalid);
    public static readonly ErrorCode BuildIdMissing = ErrorCode.Define("build-id-missing", ErrorCategory.Invalid);
    public static readonly ErrorCode BuildIdInvalid = ErrorCode.Define("build-id-invalid", ErrorCategory.Invalid);

    // Files and modules (Modules/). A file over its cap is TooLarge, not Invalid: the remedy is a smaller file or a higher
    // limit, and over HTTP it is a 413 like the server's own module-too-large (the exit code is 2 either way).
    public static readonly ErrorCode FileTooLarge = ErrorCode.Define("file-too-large", ErrorCategory.TooLarge);
    public static readonly ErrorCode DecompressionFailed = ErrorCode.Define("decompression-failed", ErrorCategory.Invalid);
    public static readonly ErrorCode ModuleNotRelocatable = ErrorCode.Define("module-not-relocatable", ErrorCategory.Invalid);
    public static readonly ErrorCode ModinfoMissing = ErrorCode.Define("modinfo-missing", ErrorCategory.Invalid);
    public static readonly ErrorCode ModinfoMalformed = ErrorCode.Define("modinfo-malformed", ErrorCategory.Invalid);
    public static readonly ErrorCode ModuleCompressed = ErrorCode.Define("module-compressed", ErrorCategory.Invalid);
    // Refused, not Invalid: a well-formed module that is not a livepatch is refused by a check (hosts never load it).
    public static readonly ErrorCode ModuleNotLivepatch = ErrorCode.Define("module-not-livepatch", ErrorCategory.Refused);
}
