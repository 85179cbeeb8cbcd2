using System.Collections.Concurrent;
using LiteDB;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Hosts;

/// <summary>The hosts and their report histories in LiteDB, and every host's <see cref="HostFacts"/> in memory, kept equal.</summary>
/// <remarks>
/// Only <see cref="HostReports"/> (a report) and <see cref="Forget"/> (the sweeper) write, both under <see cref="Gate"/>, so a
/// report's rate check and its write are one step and a host is never forgotten between them. Each write is one LiteDB
/// transaction on the calling thread (its own, not <see cref="RepositoryDatabase.InTransaction{T}"/>, which belongs to the
/// publishing writer), and the memory is changed after its commit.
/// </remarks>
public sealed class HostStore
{
    /// <summary>Hosts one forgetting transaction deletes: a sweep of many hosts lets reports in between its batches.</summary>
    private const int ForgetBatch = 500;

    private readonly RepositoryDatabase _db;
    private readonly ConcurrentDictionary<string, HostFacts> _facts = new(StringComparer.Ordinal);

    public HostStore(RepositoryDatabase db)
    {
        _db = db;
        _db.HostReports.EnsureIndex(r => r.MachineId);
        foreach (var host in _db.Hosts.FindAll())
        {
            _facts[host.Id] = HostFacts.Of(host);
        }
    }

    /// <summary>Held by every write, and by a report from its rate check to its write.</summary>
    public Lock Gate { get; } = new();

    public int Count => _facts.Count;

    public HostFacts? FactsOrNull(string machineId) => _facts.GetValueOrDefault(machineId);

    /// <summary>Every host's facts, as a snapshot.</summary>
    public List<HostFacts> Snapshot() => [.. _facts.Values];

    public HostDocument? DocumentOrNull(string machineId) => _db.Hosts.FindById(machineId);

    /// <summary>At most <paramref name="count"/> hosts whose machine id sorts after <paramref name="after"/> (all when null),
    /// in machine id order: a range of the primary key index, read in its own order and only as far as the caller reads.</summary>
    public IEnumerable<HostDocument> After(string? after, int count) =>
        _db.Hosts.Query().Where("_id > @0", after is null ? BsonValue.MinValue : new BsonValue(after)).OrderBy("_id").Limit(count).ToEnumerable();

    /// <summary>A host's most recent reports, newest first.</summary>
    public List<HostReportData> History(string machineId, int count) =>
        [.. _db.HostReports.Query().Where(r => r.MachineId == machineId).OrderByDescending(r => r.Id).Limit(count).ToList().Select(r => r.Report)];

    /// <summary>Stores a host's new last report and adds it to its history, keeping the newest <paramref name="historyBound"/>.
    /// Call under <see cref="Gate"/>.</summary>
    public void Save(HostDocument host, int historyBound)
    {
        InTransaction(() =>
        {
            _db.Hosts.Upsert(host);
            _db.HostReports.Insert(new HostReportDocument { MachineId = host.Id, Report = host.Last });
            var kept = _db.HostReports.Query().Where(r => r.MachineId == host.Id).OrderByDescending(r => r.Id).Select(r => r.Id).ToList();
            foreach (var old in kept.Skip(historyBound))
            {
                _db.HostReports.Delete(old);
            }
        });
        _facts[host.Id] = HostFacts.Of(host);
    }

    /// <summary>Makes the reports saved so far durable (<see cref="RepositoryDatabase.FlushLog"/>): before one is acknowledged.</summary>
    public void FlushLog() => _db.FlushLog();

    /// <summary>Forgets every host whose last report arrived before <paramref name="cutoffMs"/>, with its history; returns how many.</summary>
    public int Forget(long cutoffMs)
    {
        var forgotten = 0;
        while (true)
        {
            lock (Gate)
            {
                var silent = _facts.Values.Where(f => f.ReceivedMs < cutoffMs).Select(f => f.MachineId).Take(ForgetBatch).ToList();
                if (silent.Count == 0)
                {
                    return forgotten;
                }

                InTransaction(() =>
                {
                    foreach (var id in silent)
                    {
                        _db.Hosts.Delete(id);
                        _db.HostReports.DeleteMany(r => r.MachineId == id);
                    }
                });
                foreach (var id in silent)
                {
                    _facts.TryRemove(id, out _);
                }

                forgotten += silent.Count;
            }
        }
    }

    /// <summary>A report with every list holding one element, for LiteDB's mapper to learn the nested types up front.</summary>
    internal static HostReportData MappingSample() => new() { Applied = [new()], Quarantined = [new()], Target = new() };

    // LiteDB binds a transaction to the calling thread: nothing in here awaits.
    private void InTransaction(Action work)
    {
        var database = _db.Database;
        database.BeginTrans();
        try
        {
            work();
            database.Commit();
        }
        catch
        {
            database.Rollback();
            throw;
        }
    }
}
