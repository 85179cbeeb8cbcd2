using System.Globalization;
using LiteDB;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Audit;

/// <summary>The audit trail: every write and every refused authentication is one structured log event (category
/// <see cref="Category"/>, an EventId per action) and one document in the bounded <c>audit</c> collection, read back newest
/// first by <see cref="Query"/> (<c>GET /v1/audit</c>).</summary>
/// <remarks>
/// Request input in an event (a key name, a reason) is logged with its control characters escaped (<see cref="LogText"/>); a
/// presented secret is never part of an event. The collection keeps <see cref="AuditOptions.MaxEntries"/> events, the oldest
/// dropped. Failed authentications come from anyone on the internet, so at most <see cref="MaxStoredFailuresPerMinute"/> of
/// them are stored a minute (every one is logged and counted in the metrics): a flood of bad keys cannot push the
/// publishes and revocations out of the trail, nor turn each bad request into a database write.
/// </remarks>
public sealed class AuditTrail(RepositoryDatabase db, IOptions<AuditOptions> options, TimeProvider time, ILoggerFactory loggers)
{
    public const string Category = "LivePatch.Audit";

    /// <summary>Failed authentications stored per minute at most; the next one stored says how many were not.</summary>
    public const int MaxStoredFailuresPerMinute = 30;

    private const string Template = "Audit {Action} {Outcome} by key {KeyId} ({KeyName}) from {ClientAddress}: patch {PatchId}, channel {Channel}, "
        + "{BuildIds} build ID(s), reason {Reason}, target {Target}";

    private readonly ILogger _logger = loggers.CreateLogger(Category);
    private readonly Lock _failures = new();
    private long _failureWindow = -1;
    private int _failuresInWindow;
    private long _failuresNotStored;
    private readonly Lock _pruning = new();
    private long _prunedThrough = -1;

    private ILiteCollection<AuditDocument> Entries => db.Database.GetCollection<AuditDocument>("audit");

    /// <summary>Logs the event and stores it (a failed authentication within the rate), dropping the oldest beyond the bound,
    /// and returns once the stored event is on disk.</summary>
    public void Record(AuditEvent e)
    {
        Log(e);
        long? notStored = null;
        if (e.Action == AuditAction.AuthFailed && !MayStoreFailure(out notStored))
        {
            return;
        }

        Store(e, notStored);
        db.FlushLog();
    }

    /// <summary>The audit record of one write, stored in the write's own transaction (<see cref="ManifestWriter"/>), so that
    /// a change is never stored without its record, and a group of writes shares one commit for both.</summary>
    public AuditedWrite<T> ForWrite<T>(Func<Outcome<T>, AuditEvent> describe) where T : class => new(this, describe);

    /// <summary>The event's log line (category <see cref="Category"/>).</summary>
    internal void Log(AuditEvent e)
    {
        var level = e.Outcome == AuditEvent.Ok ? LogLevel.Information : LogLevel.Warning;
        _logger.Log(level, e.Action.EventId, Template, e.Action.Name, e.Outcome, e.Actor.KeyId, PrintableOrNull(e.Actor.KeyName), e.Actor.ClientAddress,
            e.PatchId, e.Channel, e.BuildIds, PrintableOrNull(e.Reason), PrintableOrNull(e.Target));
    }

    /// <summary>Inserts the event and drops what is beyond the bound, in the caller's transaction when it has one; does not
    /// flush the log.</summary>
    internal void Store(AuditEvent e, long? notStored = null)
    {
        var id = Entries.Insert(new AuditDocument
        {
            TimeMs = time.GetUtcNow().ToUnixTimeMilliseconds(), Action = e.Action.Name, Outcome = e.Outcome, KeyId = e.Actor.KeyId, KeyName = e.Actor.KeyName,
            ClientAddress = e.Actor.ClientAddress, PatchId = e.PatchId, Channel = e.Channel, BuildIds = e.BuildIds, Reason = e.Reason, Target = e.Target,
            NotStored = notStored,
        }).AsInt64;
        Prune(id - options.Value.MaxEntries);
    }

    /// <summary>Deletes every event with an id at or below <paramref name="oldestKept"/>: ids rise by one per event, so those
    /// are older than the newest <see cref="AuditOptions.MaxEntries"/> (none until the trail is full). The first time, a range
    /// query (a bound lowered since the last start leaves many); after it, the ids since the last call by primary key (one
    /// per event: no query to parse).</summary>
    /// <remarks>LiteDB does not hand out again the ids a rolled-back transaction took: after one, the trail keeps that many
    /// fewer events until they have passed, never more than the bound.</remarks>
    private void Prune(long oldestKept)
    {
        if (oldestKept < 1)
        {
            return;
        }

        // The range is claimed under the lock and deleted outside it: a thread recording a refused key waits in LiteDB for
        // the writer's transaction (which holds the collection), and the writer must never wait for that thread.
        long from;
        lock (_pruning)
        {
            from = _prunedThrough < 0 ? -1 : _prunedThrough + 1;
            _prunedThrough = Math.Max(_prunedThrough, oldestKept);
        }

        if (from < 0)
        {
            Entries.DeleteMany(d => d.Id <= oldestKept);
            return;
        }

        for (var id = from; id <= oldestKept; id++)
        {
            Entries.Delete(id);
        }
    }

    /// <summary>A transaction that stored events rolled back, and its deletions with it: the next event prunes by range.</summary>
    internal void RolledBack()
    {
        lock (_pruning)
        {
            _prunedThrough = -1;
        }
    }

    /// <summary>An upstream sync or bundle import (by a request, or the sync timer), with what it did.</summary>
    public void RecordImport(AuditAction action, Outcome<UpstreamSyncSummary> outcome, AuditActor actor) =>
        Record(new AuditEvent(action, actor, outcome.Problem?.Code ?? AuditEvent.Ok)
        {
            Target = outcome.Value is { } s
                ? $"{s.Repository} index version {s.Version} from {s.Source}: {s.Imported} imported, {s.Updated} updated, {s.Revoked} revoked, {s.Skipped} skipped"
                : null,
        });

    /// <summary>A page of events, newest first: optionally one action's, at or after a time. <paramref name="after"/> is the
    /// <c>next</c> of the page before (an event id: the page holds older ones).</summary>
    public Outcome<ListPage<AuditEntry>> Query(string? action, string? since, string? after, string? limit)
    {
        if (PatchListings.LimitOrNull(limit) is not { } count)
        {
            return PatchListings.LimitInvalid();
        }

        if (after is not null && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return new RepositoryProblem(ProblemCodes.PageInvalid, "'after' must be an audit event id (a whole number): the 'next' of the page before.");
        }

        if (action is not null && AuditAction.FindOrNull(action) is null)
        {
            return new RepositoryProblem(ProblemCodes.AuditFilterInvalid,
                $"'action' must be one of: {string.Join(", ", AuditAction.All.Select(a => a.Name))}.");
        }

        DateTimeOffset from = default;
        if (since is not null && !DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out from))
        {
            return new RepositoryProblem(ProblemCodes.AuditFilterInvalid, "'since' must be a time such as 2026-03-01T12:00:00Z.");
        }

        var before = after is null ? long.MaxValue : long.Parse(after, CultureInfo.InvariantCulture);
        var sinceMs = since is null ? long.MinValue : from.ToUnixTimeMilliseconds();
        // Newest first through the primary key; a filter reads past what it leaves out, at most the bounded collection.
        var query = Entries.Query().Where(d => d.Id < before && d.TimeMs >= sinceMs);
        query = action is null ? query : query.Where(d => d.Action == action);
        var docs = query.OrderByDescending(d => d.Id).Limit(count + 1).ToList();
        return new ListPage<AuditEntry>
        {
            Items = [.. docs.Take(count).Select(ToEntry)],
            Next = docs.Count > count ? docs[count - 1].Id.ToString(CultureInfo.InvariantCulture) : null,
        };
    }

    /// <summary>Whether this failed authentication may be stored in the current minute; when it may, how many were not
    /// before it (null when none).</summary>
    private bool MayStoreFailure(out long? notStored)
    {
        lock (_failures)
        {
            var window = time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;
            if (window != _failureWindow)
            {
                (_failureWindow, _failuresInWindow) = (window, 0);
            }

            if (_failuresInWindow >= MaxStoredFailuresPerMinute)
            {
                _failuresNotStored++;
                notStored = null;
                return false;
            }

            _failuresInWindow++;
            notStored = _failuresNotStored > 0 ? _failuresNotStored : null;
            _failuresNotStored = 0;
            return true;
        }
    }

    // Null stays null in the structured state (a JSON log says null, not ""), as in the stored entry.
    private static string? PrintableOrNull(string? text) => text is null ? null : LogText.Printable(text);

    private static AuditEntry ToEntry(AuditDocument d) => new()
    {
        Id = d.Id, Time = DateTimeOffset.FromUnixTimeMilliseconds(d.TimeMs), Action = d.Action, Outcome = d.Outcome, KeyId = d.KeyId, KeyName = d.KeyName,
        ClientAddress = d.ClientAddress, PatchId = d.PatchId, Channel = d.Channel, BuildIds = d.BuildIds, Reason = d.Reason, Target = d.Target,
        NotStored = d.NotStored,
    };
}
