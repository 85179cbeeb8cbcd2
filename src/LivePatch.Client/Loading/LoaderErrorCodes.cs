namespace LivePatch.Client.Loading;

/// <summary>The stable <see cref="LoaderResult.Code"/> values a loader returns (docs/loaders.md).</summary>
public static class LoaderErrorCodes
{
    /// <summary>The module name is not [A-Za-z0-9_-]{1,55}: no path is built from it.</summary>
    public const string InvalidName = "invalid-name";

    /// <summary>The verified file is gone or unreadable, or could not be decompressed.</summary>
    public const string FileUnreadable = "file-unreadable";

    /// <summary>A livepatch of that name is already in the kernel.</summary>
    public const string AlreadyApplied = "already-applied";

    public const string InsmodFailed = "insmod-failed";

    /// <summary>insmod succeeded but no /sys/kernel/livepatch/&lt;name&gt; appeared, or it was not enabled.</summary>
    public const string NotEnabled = "not-enabled";

    /// <summary>The transition did not finish within the time-out; the patch was reversed and unloaded.</summary>
    public const string TransitionStalled = "transition-stalled";

    /// <summary>Removing: no patch of that name is applied (or staged).</summary>
    public const string NotApplied = "not-applied";

    public const string RmmodFailed = "rmmod-failed";

    public const string KpatchFailed = "kpatch-failed";

    public const string ExecFailed = "exec-failed";

    public const string StageFailed = "stage-failed";
}
