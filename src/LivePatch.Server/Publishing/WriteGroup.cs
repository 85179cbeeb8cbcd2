using System.Runtime.ExceptionServices;

namespace LivePatch.Server.Publishing;

/// <summary>A write waiting for the writer lock: its work, and its outcome once a group ran it (<see cref="ManifestWriter"/>).</summary>
internal sealed class QueuedWrite(Func<WriteBatches, object> work)
{
    /// <summary>What its <see cref="ManifestWriter.Commit"/> left; new for each run.</summary>
    public WriteBatches Batches { get; private set; } = new();

    /// <summary>The work's answer (an <c>Outcome&lt;T&gt;</c>), once it ran in a transaction that committed.</summary>
    public object? Outcome { get; private set; }

    /// <summary>Why it failed: the exception to throw on the writing request's thread.</summary>
    public ExceptionDispatchInfo? Failure { get; private set; }

    /// <summary>Set under the writer lock once the write committed or failed; read under it by the thread that queued it.</summary>
    public bool Done { get; private set; }

    /// <summary>Runs the work inside the group's transaction.</summary>
    public void Run() => Outcome = work(Batches);

    /// <summary>The transaction committed: what the write did is stored; its later batches are in flight.</summary>
    public void Committed(HashSet<string> inFlight)
    {
        if (Batches.PendingId is { } id)
        {
            inFlight.Add(id);
        }

        try
        {
            Batches.RunAfterCommit();
            Done = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(e); // stored all the same: what is left behind (a file) the start-up sweep removes
        }
    }

    /// <summary>The transaction rolled back: undoes what the work did outside it, and forgets its batches for a run again.</summary>
    public void RolledBack()
    {
        Batches.RunOnRollback();
        (Batches, Outcome) = (new WriteBatches(), null);
    }

    public void Fail(Exception e)
    {
        Failure = ExceptionDispatchInfo.Capture(e);
        Done = true;
    }
}

/// <summary>What a write's <see cref="ManifestWriter.Commit"/> left for <see cref="ManifestWriter.Write"/> to render after the
/// lock, and what the write does outside the transaction once it commits or rolls back.</summary>
internal sealed class WriteBatches
{
    private readonly List<Action> _afterCommit = [];
    private readonly List<Action> _onRollback = [];

    /// <summary>Every kernel the write touched (their bins are re-signed after its manifests).</summary>
    public List<string> Kernels { get; } = [];

    /// <summary>Kernels after the first batch.</summary>
    public List<string> Rest { get; } = [];

    /// <summary>The pending write document naming <see cref="Rest"/>, or null when the first batch was all.</summary>
    public string? PendingId { get; private set; }

    public void Committed(IEnumerable<string> kernels, IEnumerable<string> rest, string? pendingId)
    {
        Kernels.AddRange(kernels);
        Rest.AddRange(rest);
        PendingId = pendingId;
    }

    /// <summary>Runs <paramref name="action"/> under the writer lock once the write's transaction has committed (deleting a
    /// file the change stopped referencing: never before the change is stored).</summary>
    public void AfterCommit(Action action) => _afterCommit.Add(action);

    /// <summary>Runs <paramref name="action"/> if the write's transaction rolls back (deleting a file it wrote for the change).</summary>
    public void OnRollback(Action action) => _onRollback.Add(action);

    internal void RunAfterCommit() => _afterCommit.ForEach(action => action());

    internal void RunOnRollback() => _onRollback.ForEach(action => action());
}
