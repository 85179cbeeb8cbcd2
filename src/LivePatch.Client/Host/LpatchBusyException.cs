namespace LivePatch.Client.Host;

/// <summary>Another lpatch run holds the state directory's <see cref="RunLock"/> and did not finish in time.</summary>
public sealed class LpatchBusyException(string lockPath, int? holderPid, string message) : Exception(message)
{
    /// <summary>Stable code of this refusal.</summary>
    public const string ErrorCode = "lpatch-busy";

    public string Code => ErrorCode;

    /// <summary>The lock file both runs compete for.</summary>
    public string LockPath { get; } = lockPath;

    /// <summary>The process holding the lock as it wrote itself into the lock file; null when it had not yet.</summary>
    public int? HolderPid { get; } = holderPid;
}
