using LivePatch.Server.Publishing;

namespace LivePatch.Server.Audit;

/// <summary>The audit record of one write (publish, promote, revoke, delete): stored inside the transaction that stores the
/// change (<see cref="ManifestWriter"/>), or on its own when the write was refused before it reached the writer.</summary>
/// <remarks>In the change's transaction, a crash can no longer leave a stored change without its record (the record used to
/// be a later transaction of its own), and the writes of a group share one commit and one fsync for their records too.</remarks>
public sealed class AuditedWrite<T>(AuditTrail trail, Func<Outcome<T>, AuditEvent> describe) where T : class
{
    private AuditEvent? _stored;

    /// <summary>In the write's transaction, under the writer lock: stores the record of <paramref name="outcome"/>.</summary>
    internal void Store(Outcome<T> outcome)
    {
        var e = describe(outcome);
        trail.Store(e);
        _stored = e;
    }

    /// <summary>The transaction rolled back: the record with it.</summary>
    internal void RolledBack()
    {
        _stored = null;
        trail.RolledBack();
    }

    /// <summary>Once the write's transaction committed: the record's log line.</summary>
    internal void Committed()
    {
        if (_stored is { } e)
        {
            trail.Log(e);
        }
    }

    /// <summary>After the write: records <paramref name="outcome"/> on its own (stored and flushed) unless the write's
    /// transaction stored it; returns it.</summary>
    public Outcome<T> Complete(Outcome<T> outcome)
    {
        if (_stored is null)
        {
            trail.Record(describe(outcome));
        }

        return outcome;
    }
}
