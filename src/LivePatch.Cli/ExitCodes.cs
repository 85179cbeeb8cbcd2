using LivePatch.Core;

namespace LivePatch.Cli;

/// <summary>Process exit codes shared by every lpatch command (documented in README.md); each is its category's.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public static readonly int VerificationRefused = ErrorCategories.ExitCode(ErrorCategory.Refused);
    public static readonly int UsageOrInput = ErrorCategories.ExitCode(ErrorCategory.Invalid);
    public static readonly int NoRepository = ErrorCategories.ExitCode(ErrorCategory.Unreachable);
    public static readonly int LoaderFailed = ErrorCategories.ExitCode(ErrorCategory.Loader);
    public static readonly int Busy = ErrorCategories.ExitCode(ErrorCategory.Busy);
    public static readonly int Internal = ErrorCategories.ExitCode(ErrorCategory.Internal);
}
