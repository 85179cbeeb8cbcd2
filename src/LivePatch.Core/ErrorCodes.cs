namespace LivePatch.Core;

/// <summary>Stable error codes of Core's parsers and verifiers; docs/error-codes.md explains each.</summary>
/// <remarks>Codes never change meaning once released: tools and scripts match on them.</remarks>
public static partial class ErrorCodes
{
    // ELF and note parsing (Elf/, Kernel/).
    public const string ElfTruncated = "elf-truncated";
    public const string ElfBadMagic = "elf-bad-magic";
    public const string ElfUnsupported = "elf-unsupported";
    public const string ElfMalformed = "elf-malformed";
    public const string NoteMalformed = "note-malformed";
    public const string BuildIdMissing = "build-id-missing";
    public const string BuildIdInvalid = "build-id-invalid";

    // Files and modules (Modules/).
    public const string FileTooLarge = "file-too-large";
    public const string DecompressionFailed = "decompression-failed";
    public const string ModuleNotRelocatable = "module-not-relocatable";
    public const string ModinfoMissing = "modinfo-missing";
    public const string ModinfoMalformed = "modinfo-malformed";
    public const string ModuleCompressed = "module-compressed";
    public const string ModuleNotLivepatch = "module-not-livepatch";
}
