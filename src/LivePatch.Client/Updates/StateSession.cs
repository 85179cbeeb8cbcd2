namespace LivePatch.Client.Updates;

/// <summary>The state as one run sees and changes it: read once (under the run lock), written atomically when it changes.</summary>
internal sealed class StateSession(StateStore store)
{
    private ClientState? _current;
    private bool _unsaved;

    public ClientState Current => _current ??= store.Load();

    /// <summary>Starts a run: call once the run lock is held. What the run sees is read from disk again, so that a change
    /// another lpatch made between two runs of this process (the daemon's: an operator's <c>remove</c>, <c>unhold</c>,
    /// <c>reset</c>, a manual <c>apply</c> that raised a version) is never written over by a copy read before it.</summary>
    /// <remarks>What an earlier run staged and never wrote (it ended before its record) is derived again by the next run.</remarks>
    public void Begin()
    {
        _current = null;
        _unsaved = false;
    }

    /// <summary>Changes the state and writes it (temp, fsync, rename); an unchanged state (the same instance) is not written.</summary>
    /// <param name="change">Returns its argument itself when nothing changes.</param>
    /// <param name="durable">False for a change whose loss costs nothing (the last check's record): no fsync.</param>
    public void Update(Func<ClientState, ClientState> change, bool durable = true)
    {
        var before = Current;
        var after = change(before);
        if (!ReferenceEquals(before, after) || _unsaved)
        {
            store.Save(after, durable || _unsaved);
            _unsaved = false;
        }

        _current = after;
    }

    /// <summary>Changes the state in memory only; the next <see cref="Update"/> (at the latest the run's record) writes it durably.</summary>
    public void Stage(Func<ClientState, ClientState> change)
    {
        var before = Current;
        _current = change(before);
        _unsaved |= !ReferenceEquals(before, _current);
    }
}
