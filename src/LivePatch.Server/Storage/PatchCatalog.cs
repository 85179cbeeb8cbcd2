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
    private readonly Dictionary<string, KernelPatches> _byKernel = new(StringComparer.Ordinal);

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
            return _byKernel.TryGetValue(buildId, out var kernel) ? [.. kernel.Patches] : [];
        }
    }

    /// <summary>The one string instance of this build ID that the catalog keeps, or null when no patch targets it: for other
    /// per-kernel tables to share (a build ID string is about 100 bytes, held for every kernel).</summary>
    public string? SharedBuildIdOrNull(string buildId)
    {
        lock (_gate)
        {
            return _byKernel.TryGetValue(buildId, out var kernel) ? kernel.BuildId : null;
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

    /// <summary>Adds or replaces a document. Its build ID strings become the catalog's own instances (equal values), so each
    /// kernel's build ID is held once however often its patches are replaced.</summary>
    public void Store(PatchDocument doc)
    {
        lock (_gate)
        {
            var old = _byId.GetValueOrDefault(doc.Id);
            _byId[doc.Id] = doc;
            foreach (var buildId in old?.BuildIds ?? [])
            {
                var kernel = _byKernel[buildId];
                kernel.Patches = [.. kernel.Patches.Where(d => d.Id != doc.Id)];
            }

            var buildIds = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(doc.BuildIds);
            for (var i = 0; i < buildIds.Length; i++)
            {
                if (!_byKernel.TryGetValue(buildIds[i], out var kernel))
                {
                    _byKernel[buildIds[i]] = kernel = new KernelPatches(buildIds[i]);
                }

                buildIds[i] = kernel.BuildId;
                kernel.Patches = [.. kernel.Patches, doc];
            }

            // Kernels the replaced document targeted and the new one does not, left without a patch.
            foreach (var buildId in old?.BuildIds ?? [])
            {
                if (_byKernel.TryGetValue(buildId, out var kernel) && kernel.Patches.Length == 0)
                {
                    _byKernel.Remove(buildId);
                }
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

            foreach (var buildId in old.BuildIds)
            {
                var kernel = _byKernel[buildId];
                kernel.Patches = [.. kernel.Patches.Where(d => d.Id != id)];
                if (kernel.Patches.Length == 0)
                {
                    _byKernel.Remove(buildId);
                }
            }
        }
    }

    /// <summary>One kernel's patches in an array of exactly their number: most kernels have one, and a list's first growth
    /// makes room for four. Memory per kernel is a target (3 KiB at 100,000 kernels).</summary>
    private sealed class KernelPatches(string buildId)
    {
        public string BuildId { get; } = buildId;

        public PatchDocument[] Patches { get; set; } = [];
    }
}
