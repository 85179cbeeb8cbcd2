using LivePatch.Client.Host;

namespace LivePatch.Client.Updates;

/// <summary>The operator's commands on the host's state: lift a hold, forget a repository's versions after its root was
/// rotated, start afresh after damage. Each takes the run lock, as a run does.</summary>
public sealed class StateAdministration(ClientOptions options, TimeProvider time)
{
    private readonly StateStore _store = new(options.StateDirectory);

    /// <summary>Lets the timer apply <paramref name="name"/> again; false when it was not held.</summary>
    public bool Unhold(string name)
    {
        using var runLock = RunLock.Acquire(options.StateDirectory, options.LockWait, TimeProvider.System);
        var state = _store.Load();
        if (!state.Holds.Contains(name, StringComparer.Ordinal))
        {
            return false;
        }

        _store.Save(state with { Holds = state.Holds.Where(h => h != name).ToList() });
        return true;
    }

    /// <summary>Forgets the manifest and coverage bin versions recorded for one repository id (and every signature memo):
    /// after a signing-key compromise and a root rotation, a host frozen by a hostile version number accepts the
    /// repository's real versions again. Returns how many versions were forgotten.</summary>
    public int ForgetVersions(string repositoryId)
    {
        using var runLock = RunLock.Acquire(options.StateDirectory, options.LockWait, TimeProvider.System);
        var state = _store.Load();
        var prefix = repositoryId + "/";
        var kept = Without(state.Versions, prefix);
        var keptBins = Without(state.CoverageVersions, prefix);
        var forgotten = state.Versions.Count - kept.Count + (state.CoverageVersions.Count - keptBins.Count);
        _store.Save(state with { Versions = kept, CoverageVersions = keptBins, Memos = [] });
        return forgotten;
    }

    private static Dictionary<string, ulong> Without(Dictionary<string, ulong> versions, string prefix) =>
        versions.Where(v => !v.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal);

    /// <summary>Moves a damaged (or unwanted) state file aside; the next run starts afresh. Returns where it went, or null
    /// when there was none.</summary>
    public string? Reset()
    {
        using var runLock = RunLock.Acquire(options.StateDirectory, options.LockWait, TimeProvider.System);
        return _store.MoveAside(time);
    }
}
