namespace LivePatch.Cli;

/// <summary>Process exit codes shared by every lpatch command (documented in README.md).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int VerificationRefused = 1;
    public const int UsageOrInput = 2;
    public const int NoRepository = 3;
    public const int LoaderFailed = 4;
}
