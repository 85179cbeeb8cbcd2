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

    private ILiteCollection<AuditDocument> Entries => db.Database.GetCollection<AuditDocument>("audit");

    /// <summary>Logs the event and stores it (a failed authentication within the rate), dropping the oldest beyond the bound.</summary>
    public void Record(AuditEvent e)
    {
        var level = e.Outcome == AuditEvent.Ok ? LogLevel.Information : LogLevel.Warning;
        _logger.Log(level, e.Action.EventId, Template, e.Action.Name, e.Outcome, e.Actor.KeyId, PrintableOrNull(e.Actor.KeyName), e.Actor.ClientAddress,
            e.PatchId, e.Channel, e.BuildIds, PrintableOrNull(e.Reason), PrintableOrNull(e.Target));
        long? notStored = null;
        if (e.Action == AuditAction.AuthFailed && !MayStoreFailure(out notStored))
        {
            return;
        }

        var id = Entries.Insert(new AuditDocument
        {
            TimeMs = time.GetUtcNow().ToUnixTimeMilliseconds(), Action = e.Action.Name, Outcome = e.Outcome, KeyId = e.Actor.KeyId, KeyName = e.Actor.KeyName,
            ClientAddress = e.Actor.ClientAddress, PatchId = e.PatchId, Channel = e.Channel, BuildIds = e.BuildIds, Reason = e.Reason, Target = e.Target,
            NotStored = notStored,
        }).AsInt64;
        // Ids rise by one per event, so everything at or below id - MaxEntries is older than the newest MaxEntries: a range of
        // the primary key, empty until the trail is full.
        var oldestKept = id - options.Value.MaxEntries;
        Entries.DeleteMany(d => d.Id <= oldestKept);
        db.FlushLog();
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
