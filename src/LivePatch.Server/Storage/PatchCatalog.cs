namespace LivePatch.Server.Storage;

/// <summary>Every patch document in memory, by id and by target kernel: what rendering a manifest reads for each kernel.</summary>
/// <remarks>
/// A bulk publish stores one document naming up to 10,000 kernels; finding a kernel's patches through LiteDB deserialized
/// that whole document once per kernel (10,000 times for one publish: the publish rate was 228 kernels/s). Here each
/// document exists once and a lookup is a dictionary read. <see cref="RepositoryDatabase"/> keeps it equal to LiteDB:
/// a change inside a transaction is seen at once by that transaction (which renders manifests from it) and undone
/// if the transaction rolls back. Readers outside the writer may see a change a moment before its commit; they only
/// list patches, and a failed commit is rare and undone. Documents handed out are shared:
/// callers read them and never change them (to change a patch, read it from LiteDB, change that copy and store it).
/// </remarks>
internal sealed class PatchCatalog
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, PatchDocument> _byId = [];
    private readonly Dictionary<string, List<PatchDocument>> _byKernel = new(StringComparer.Ordinal);

    public PatchCatalog(IEnumerable<PatchDocument> documents)
    {
        foreach (var doc in documents)
        {
            Store(doc);
        }
    }

    /// <summary>Patches that target a kernel (a copy of the list; the documents are shared).</summary>
    public List<PatchDocument> For(string buildId)
    {
        lock (_gate)
        {
            return _byKernel.TryGetValue(buildId, out var docs) ? [.. docs] : [];
        }
    }

    public PatchDocument? FindOrNull(int id)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(id);
        }
    }

    /// <summary>Every document (a copy of the list; the documents are shared).</summary>
    public List<PatchDocument> All()
    {
        lock (_gate)
        {
            return [.. _byId.Values];
        }
    }

    /// <summary>How many patches there are, and how many kernels they target between them.</summary>
    public (int Patches, int Kernels) Counts()
    {
        lock (_gate)
        {
            return (_byId.Count, _byKernel.Count);
        }
    }

    /// <summary>Adds or replaces a document.</summary>
    public void Store(PatchDocument doc)
    {
        lock (_gate)
        {
            Remove(doc.Id);
            _byId[doc.Id] = doc;
            foreach (var kernel in doc.BuildIds)
            {
                if (!_byKernel.TryGetValue(kernel, out var docs))
                {
                    _byKernel[kernel] = docs = [];
                }

                docs.Add(doc);
            }
        }
    }

    /// <summary>Forgets a document.</summary>
    public void Remove(int id)
    {
        lock (_gate)
        {
            if (!_byId.Remove(id, out var old))
            {
                return;
            }

            foreach (var kernel in old.BuildIds)
            {
                var docs = _byKernel[kernel];
                docs.RemoveAll(d => d.Id == id);
                if (docs.Count == 0)
                {
                    _byKernel.Remove(kernel);
                }
            }
        }
    }
}
