using LiteDB;

namespace LivePatch.Server.Storage;

/// <summary>The one shared <see cref="LiteDatabase"/> and its collections.</summary>
public sealed class RepositoryDatabase : IDisposable
{
    private const string VersionCounter = "manifest-version";
    private const string BuildIdsExpression = "$.BuildIds[*]";

    public RepositoryDatabase(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        // LiteDB builds entity mappings lazily and not thread-safely: map every document type once, up front,
        // on a mapper of our own rather than the process-wide BsonMapper.Global.
        var mapper = new BsonMapper();
        mapper.ToDocument(new PatchDocument());
        mapper.ToDocument(new KernelDocument { Patches = [new KernelPatchEntry()] });
        mapper.ToDocument(new ManifestDocument());
        mapper.ToDocument(new ApiKeyDocument());
        mapper.ToDocument(new CounterDocument());
        mapper.ToDocument(new PendingRenderDocument());

        // Direct connection: one process owns the file; LiteDB's journal makes each commit all-or-nothing.
        Database = new LiteDatabase(new ConnectionString
        {
            Filename = Path.Combine(Path.GetFullPath(dataDirectory), "repository.db"),
            Connection = ConnectionType.Direct,
        }, mapper);
        // A multikey index over the array: "which patches target this kernel" is the hot lookup of every publish.
        Patches.EnsureIndex("buildIds", BuildIdsExpression);
        Patches.EnsureIndex(p => p.Sha256);
    }

    public LiteDatabase Database { get; }

    public ILiteCollection<PatchDocument> Patches => Database.GetCollection<PatchDocument>("patches");

    /// <summary>Patches that target a kernel, through the multikey index.</summary>
    public List<PatchDocument> PatchesFor(string buildId) =>
        Patches.Find(BsonExpression.Create(BuildIdsExpression + " ANY = @0", buildId)).ToList();

    /// <summary>Kernel builds with patches, by build ID: kept by <see cref="KernelCatalog"/>.</summary>
    public ILiteCollection<KernelDocument> Kernels => Database.GetCollection<KernelDocument>("kernels");

    public ILiteCollection<ManifestDocument> Manifests => Database.GetCollection<ManifestDocument>("manifests");

    public ILiteCollection<ApiKeyDocument> ApiKeys => Database.GetCollection<ApiKeyDocument>("apikeys");

    /// <summary>Kernels a committed change still has to re-render: written in the change's transaction, removed batch by batch.</summary>
    public ILiteCollection<PendingRenderDocument> PendingRenders => Database.GetCollection<PendingRenderDocument>("pending");

    private ILiteCollection<CounterDocument> Counters => Database.GetCollection<CounterDocument>("counters");

    /// <summary>The highest manifest version handed out so far.</summary>
    public long CurrentVersion => Counters.FindById(VersionCounter)?.Value ?? 0;

    /// <summary>Takes the next repository-wide version; call inside the caller's transaction.</summary>
    public long NextVersion()
    {
        var next = CurrentVersion + 1;
        Counters.Upsert(new CounterDocument { Id = VersionCounter, Value = next });
        return next;
    }

    /// <summary>Runs <paramref name="work"/> in one LiteDB transaction: all of it is stored, or none.</summary>
    /// <remarks>LiteDB binds a transaction to the calling thread, so <paramref name="work"/> must not await.</remarks>
    public T InTransaction<T>(Func<T> work)
    {
        Database.BeginTrans();
        try
        {
            var result = work();
            Database.Commit();
            return result;
        }
        catch
        {
            Database.Rollback();
            throw;
        }
    }

    public void Dispose() => Database.Dispose();
}
