using LiteDB;
using LivePatch.Server.Hosts;

namespace LivePatch.Server.Storage;

/// <summary>The one shared <see cref="LiteDatabase"/> and its collections.</summary>
public sealed class RepositoryDatabase : IDisposable
{
    private const string VersionCounter = "manifest-version";

    public RepositoryDatabase(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        // LiteDB builds entity mappings lazily and not thread-safely: map every document type once, up front,
        // on a mapper of our own rather than the process-wide BsonMapper.Global.
        var mapper = new BsonMapper();
        mapper.ToDocument(new PatchDocument());
        mapper.ToDocument(new ManifestDocument());
        mapper.ToDocument(new ManifestBatchDocument());
        mapper.ToDocument(new ApiKeyDocument());
        mapper.ToDocument(new CounterDocument());
        mapper.ToDocument(new PendingRenderDocument());
        mapper.ToDocument(new PendingWriteDocument());
        mapper.ToDocument(new BinDocument());
        mapper.ToDocument(new PendingBinDocument());
        mapper.ToDocument(new UpstreamDocument { Bins = [new UpstreamBinEntry()] });
        mapper.ToDocument(new UpstreamKernelDocument());
        mapper.ToDocument(new HostDocument { Last = HostStore.MappingSample(), Removed = [new()] });
        mapper.ToDocument(new HostReportDocument { Report = HostStore.MappingSample() });
        mapper.ToDocument(new Audit.AuditDocument());

        // Direct connection: one process owns the file; LiteDB's journal makes each commit all-or-nothing, and LiteDbLog makes
        // it durable.
        var file = Path.Combine(Path.GetFullPath(dataDirectory), "repository.db");
        _open = () => new LiteDatabase(new ConnectionString { Filename = file, Connection = ConnectionType.Direct }, mapper);
        _newLog = () => new LiteDbLog(file);
        Database = _open();
        _log = _newLog();
        Signed = new SignedStore(Path.Combine(dataDirectory, "signed"));
        MigratedSignedDocuments = SignedStoreMigration.Run(this, Counters);
        MigratedManifestRecords = ManifestBatchMigration.Run(this);
        // "Which patches target this kernel" is answered from memory (PatchCatalog). The multikey index over BuildIds that
        // older versions kept cost one index entry per kernel inside a bulk publish's first transaction, under the writer
        // lock (10,000 for one request): dropped where it exists.
        Patches.DropIndex("buildIds");
        // Older versions kept one document per kernel for the kernel listing, rewritten with every manifest render; the
        // listing now reads the patch catalog (KernelCatalog).
        if (Database.CollectionExists("kernels"))
        {
            Database.DropCollection("kernels");
            _log.Flush();
        }

        Patches.EnsureIndex(p => p.Sha256);
        _catalog = new PatchCatalog(Patches.FindAll());
        _pendingBins = PendingBins.FindAll().Select(b => b.Id).ToHashSet(StringComparer.Ordinal);
        _version = Counters.FindById(VersionCounter)?.Value ?? 0;
    }

    /// <summary>The keys of <see cref="PendingBins"/>, in memory: changed only through <see cref="MarkBinsPending"/> and
    /// <see cref="ClearBinPending"/>, with the collection, and undone with it when a transaction rolls back.</summary>
    /// <remarks>Each batch of a bulk publish marks the bins of its kernels pending (about 160 of 256 for a batch of 256
    /// random kernels): as LiteDB upserts, those were a fifth of the publish (an index search and a page write each), though
    /// all but the first batch's were pending already.</remarks>
    private readonly HashSet<string> _pendingBins;

    /// <summary>Marks made in the transaction under way and not stored yet: stored just before it commits, unless a bin was
    /// re-signed in it too (a group of single-kernel writes signs its bins in its own transaction), so that such a mark
    /// costs no LiteDB write at all.</summary>
    private readonly HashSet<string> _marksToStore = new(StringComparer.Ordinal);

    /// <summary>Marks these bins pending (stored in the caller's transaction), those not marked already.</summary>
    public void MarkBinsPending(IEnumerable<string> keys)
    {
        List<string> added;
        lock (_pendingBins)
        {
            added = [.. keys.Distinct(StringComparer.Ordinal).Where(key => !_pendingBins.Contains(key))];
        }

        if (added.Count == 0)
        {
            return;
        }

        if (_inTransaction)
        {
            _marksToStore.UnionWith(added);
        }
        else
        {
            PendingBins.Upsert(added.Select(key => new PendingBinDocument { Id = key }));
        }

        ChangePendingBins(added, pending: true);
    }

    /// <summary>Removes the pending mark of a bin just re-signed (in the caller's transaction), when it has one.</summary>
    public void ClearBinPending(string key)
    {
        if (!IsBinPending(key))
        {
            return;
        }

        if (!(_inTransaction && _marksToStore.Remove(key)))
        {
            PendingBins.Delete(key);
        }

        ChangePendingBins([key], pending: false);
    }

    public bool IsBinPending(string key)
    {
        lock (_pendingBins)
        {
            return _pendingBins.Contains(key);
        }
    }

    /// <summary>Every bin marked pending.</summary>
    public IReadOnlyList<string> PendingBinKeys()
    {
        lock (_pendingBins)
        {
            return [.. _pendingBins];
        }
    }

    private void ChangePendingBins(List<string> keys, bool pending)
    {
        if (_inTransaction)
        {
            _undo.Add(() => Apply(!pending));
        }

        Apply(pending);

        void Apply(bool add)
        {
            lock (_pendingBins)
            {
                keys.ForEach(key => _ = add ? _pendingBins.Add(key) : _pendingBins.Remove(key));
            }
        }
    }

    /// <summary>The version counter, kept in memory and stored once per transaction (not once per document signed).</summary>
    private long _version;
    private long _versionAtBegin;

    private readonly PatchCatalog _catalog;

    /// <summary>How to undo the catalog changes of the transaction under way, should it roll back.</summary>
    private readonly List<Action> _undo = [];
    private bool _inTransaction;

    public LiteDatabase Database { get; private set; }

    /// <summary>The signed bytes of manifests and bins: synced before every commit, so a committed record never names bytes
    /// that are not on disk.</summary>
    public SignedStore Signed { get; }

    /// <summary>How many records this start moved out of LiteDB into <see cref="Signed"/> (a database of an older server).</summary>
    public int MigratedSignedDocuments { get; }

    /// <summary>How many manifest records this start moved from one document each into batches (a database of an older server).</summary>
    public int MigratedManifestRecords { get; }

    private readonly Func<LiteDatabase> _open;
    private readonly Func<LiteDbLog> _newLog;
    private LiteDbLog _log;

    /// <summary>fsync(2)s of LiteDB's log so far (tests: how many commits shared one).</summary>
    public long LogFlushes => _log.Flushes;

    /// <summary>Makes every commit so far durable (<see cref="LiteDbLog"/>): call after a write LiteDB committed on its own
    /// (one <c>Insert</c>, <c>Update</c> or <c>Delete</c> outside <see cref="InTransaction{T}"/>), before answering it.
    /// <see cref="InTransaction{T}"/> does it itself.</summary>
    /// <exception cref="IOException">The log could not be flushed.</exception>
    public void FlushLog() => _log.Flush();

    /// <summary>Closes and reopens the database file, dropping LiteDB's page cache; call once at start, after every
    /// stored document has been read into memory and before requests are taken.</summary>
    /// <remarks>LiteDB 5 keeps every page it has read in its cache, with no limit: what the start-up read (every patch, every
    /// manifest's record) would otherwise stay in memory for the life of the process.</remarks>
    public void DropPageCache()
    {
        _log.Flush(); // the start-up's own one-statement writes (pending renders found at load), before any request

        Database.Dispose();
        _log.Dispose();
        Database = _open();
        _log = _newLog();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    public ILiteCollection<PatchDocument> Patches => Database.GetCollection<PatchDocument>("patches");

    /// <summary>Patches that target a kernel, from memory (<see cref="PatchCatalog"/>): read them, never change them.</summary>
    public List<PatchDocument> PatchesFor(string buildId) => _catalog.For(buildId);

    /// <summary>The patch catalog's instance of this build ID (<paramref name="buildId"/> itself when no patch targets it): for
    /// per-kernel tables to share one string per kernel.</summary>
    public string SharedBuildId(string buildId) => _catalog.SharedBuildIdOrNull(buildId) ?? buildId;

    /// <summary>At most <paramref name="count"/> kernels with patches after <paramref name="after"/> in build ID order, each
    /// with its patches, from memory (<see cref="PatchCatalog"/>): read them, never change them.</summary>
    public List<(string BuildId, PatchDocument[] Patches)> KernelsAfter(string? after, int count) => _catalog.KernelsAfter(after, count);

    /// <summary>Every patch, from memory (<see cref="PatchCatalog"/>): read them, never change them.</summary>
    public List<PatchDocument> AllPatches() => _catalog.All();

    /// <summary>How many patches are stored and how many kernels they target, from memory (<see cref="PatchCatalog"/>).</summary>
    public (int Patches, int Kernels) PatchCounts() => _catalog.Counts();

    /// <summary>Stores a new patch; its id is set. The catalog has it at once (the transaction's own renders read it) and
    /// loses it again if the transaction rolls back.</summary>
    public void InsertPatch(PatchDocument doc)
    {
        Patches.Insert(doc);
        ChangeCatalog(doc.Id, () => _catalog.Store(doc));
    }

    /// <summary>Stores new patches in one call (a batch publish); each one's id is set, and the catalog has them as
    /// <see cref="InsertPatch"/> gives it one.</summary>
    public void InsertPatches(IReadOnlyList<PatchDocument> docs)
    {
        Patches.InsertBulk(docs);
        foreach (var doc in docs)
        {
            ChangeCatalog(doc.Id, () => _catalog.Store(doc));
        }
    }

    /// <summary>Stores a changed patch (a copy read from LiteDB, never one <see cref="PatchesFor"/> handed out).</summary>
    public void UpdatePatch(PatchDocument doc)
    {
        Patches.Update(doc);
        ChangeCatalog(doc.Id, () => _catalog.Store(doc));
    }

    public void DeletePatch(int id)
    {
        Patches.Delete(id);
        ChangeCatalog(id, () => _catalog.Remove(id));
    }

    private void ChangeCatalog(int id, Action change)
    {
        if (_inTransaction)
        {
            var before = _catalog.FindOrNull(id);
            _undo.Add(() =>
            {
                if (before is null)
                {
                    _catalog.Remove(id);
                }
                else
                {
                    _catalog.Store(before);
                }
            });
        }

        change();
    }

    /// <summary>The records of the signed manifests, packed many to a document (<see cref="ManifestBatchDocument"/>).</summary>
    public ILiteCollection<ManifestBatchDocument> ManifestBatches => Database.GetCollection<ManifestBatchDocument>("manifestbatches");

    /// <summary>Every manifest record stored, superseded ones included (the newest version of a key is the one served), each
    /// with its batch.</summary>
    public IEnumerable<ManifestDocument> ManifestRecords() => ManifestBatches.FindAll().SelectMany(ManifestBatchCodec.Unpack);

    /// <summary>One document per manifest, as servers before <see cref="ManifestBatches"/> stored them: read by the start-up's
    /// migrations only.</summary>
    internal ILiteCollection<ManifestDocument> LegacyManifests => Database.GetCollection<ManifestDocument>("manifests");

    public ILiteCollection<ApiKeyDocument> ApiKeys => Database.GetCollection<ApiKeyDocument>("apikeys");

    /// <summary>Kernels a change committed by an older server version still has to re-render (see <see cref="PendingRenderDocument"/>).</summary>
    public ILiteCollection<PendingRenderDocument> PendingRenders => Database.GetCollection<PendingRenderDocument>("pending");

    /// <summary>Writes whose later batches are not all signed yet: stored in the write's first transaction.</summary>
    public ILiteCollection<PendingWriteDocument> PendingWrites => Database.GetCollection<PendingWriteDocument>("pendingwrites");

    public ILiteCollection<BinDocument> Bins => Database.GetCollection<BinDocument>("bins");

    /// <summary>Bins whose kernels' manifests a committed change re-signed: written in that change's transaction, removed
    /// when the bin is re-signed. Change it through <see cref="MarkBinsPending"/> and <see cref="ClearBinPending"/> only;
    /// read it through <see cref="IsBinPending"/> and <see cref="PendingBinKeys"/>.</summary>
    public ILiteCollection<PendingBinDocument> PendingBins => Database.GetCollection<PendingBinDocument>("pendingbins");

    /// <summary>A site repository's import state per vendor repository (<see cref="UpstreamDocument"/>).</summary>
    public ILiteCollection<UpstreamDocument> Upstreams => Database.GetCollection<UpstreamDocument>("upstream");

    /// <summary>The vendor manifest versions a site repository imported (<see cref="UpstreamKernelDocument"/>).</summary>
    public ILiteCollection<UpstreamKernelDocument> UpstreamKernels => Database.GetCollection<UpstreamKernelDocument>("upstreamkernels");

    /// <summary>Each reporting host with its last report (<see cref="HostStore"/>).</summary>
    public ILiteCollection<HostDocument> Hosts => Database.GetCollection<HostDocument>("hosts");

    /// <summary>The recent reports of each host, a bounded number per host (<see cref="HostStore"/>).</summary>
    public ILiteCollection<HostReportDocument> HostReports => Database.GetCollection<HostReportDocument>("host_reports");

    private ILiteCollection<CounterDocument> Counters => Database.GetCollection<CounterDocument>("counters");

    /// <summary>Reads one small document: what the readiness check asks of the database.</summary>
    public void ProbeRead() => _ = Counters.FindById(VersionCounter);

    /// <summary>The highest manifest version handed out so far.</summary>
    public long CurrentVersion => Interlocked.Read(ref _version);

    /// <summary>Takes the next repository-wide version; call inside the caller's transaction, and only through
    /// <c>ManifestWriter</c>, which holds the writer lock: the one place versions are allocated.</summary>
    internal long NextVersion()
    {
        if (!_inTransaction)
        {
            throw new InvalidOperationException("A version is taken inside the transaction that stores the document carrying it.");
        }

        return Interlocked.Increment(ref _version);
    }

    /// <summary>Runs <paramref name="work"/> in one LiteDB transaction: all of it is stored, or none.</summary>
    /// <remarks>LiteDB binds a transaction to the calling thread, so <paramref name="work"/> must not await. Callers hold the
    /// writer lock (<c>ManifestWriter</c>), so no two transactions stage catalog changes at once.</remarks>
    public T InTransaction<T>(Func<T> work)
    {
        Database.BeginTrans();
        _inTransaction = true;
        _versionAtBegin = _version;
        T result;
        try
        {
            result = work();
            if (_marksToStore.Count > 0)
            {
                PendingBins.Upsert(_marksToStore.Select(key => new PendingBinDocument { Id = key }));
            }

            if (_version != _versionAtBegin)
            {
                Counters.Upsert(new CounterDocument { Id = VersionCounter, Value = _version });
            }

            Signed.Sync(); // the bytes before the records naming them
            Database.Commit();
        }
        catch
        {
            Database.Rollback();
            Interlocked.Exchange(ref _version, _versionAtBegin);
            for (var i = _undo.Count - 1; i >= 0; i--)
            {
                _undo[i]();
            }

            throw;
        }
        finally
        {
            _undo.Clear();
            _marksToStore.Clear();
            _inTransaction = false;
        }

        // Committed: durable before the caller answers or serves what it stored (a failed fsync is an I/O error for the
        // caller; the commit stands, so nothing is undone).
        _log.Flush();
        return result;
    }

    public void Dispose()
    {
        Database.Dispose();
        _log.Dispose();
        Signed.Dispose();
    }
}
