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
/// <para>The kernels are also kept in build ID order, for the kernel listing (<see cref="KernelsAfter"/>): an array sorted at
/// the last compaction, plus the kernels added since in a sorted set; a removed kernel stays in the array, skipped, until
/// the next compaction. A compaction merges the two once the changes since exceed an eighth of the array (at least
/// <c>compactAfter</c>): O(kernels) per that many changes, 8 bytes a kernel between compactions.</para>
/// </remarks>
internal sealed class PatchCatalog
{
    private const int CompactAfter = 1024;

    private readonly Lock _gate = new();
    private readonly Dictionary<int, PatchDocument> _byId = [];
    private readonly Dictionary<string, KernelPatches> _byKernel = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _addedSinceCompaction = new(StringComparer.Ordinal);
    private readonly int _compactAfter;
    private string[] _ordered = [];
    private int _removedSinceCompaction;

    /// <param name="documents">Every stored patch.</param>
    /// <param name="compactAfter">The fewest kernel changes that merge the ordered index (smaller in tests).</param>
    public PatchCatalog(IEnumerable<PatchDocument> documents, int compactAfter = CompactAfter)
    {
        _compactAfter = compactAfter;
        foreach (var doc in documents)
        {
            Store(doc);
        }

        Compact();
    }

    /// <summary>At most <paramref name="count"/> kernels with patches whose build ID sorts (ordinal) after
    /// <paramref name="after"/> (from the first when null), in that order, each with its patches (the documents are shared).</summary>
    /// <remarks>Reads the page and the removed kernels it steps over, never the whole catalog: a binary search in the
    /// ordered array and a view of the added set from <paramref name="after"/> on.</remarks>
    public List<(string BuildId, PatchDocument[] Patches)> KernelsAfter(string? after, int count)
    {
        lock (_gate)
        {
            var page = new List<(string, PatchDocument[])>(Math.Min(count, 1024));
            var i = 0;
            if (after is not null)
            {
                var at = Array.BinarySearch(_ordered, after, StringComparer.Ordinal);
                i = at >= 0 ? at + 1 : ~at;
            }

            using var added = AddedAfter(after).GetEnumerator();
            var next = added.MoveNext() ? added.Current : null;
            while (page.Count < count && (i < _ordered.Length || next is not null))
            {
                string id;
                if (next is not null && (i >= _ordered.Length || string.CompareOrdinal(next, _ordered[i]) < 0))
                {
                    id = next;
                    next = added.MoveNext() ? added.Current : null;
                }
                else
                {
                    id = _ordered[i++];
                }

                if (_byKernel.TryGetValue(id, out var kernel))
                {
                    page.Add((kernel.BuildId, kernel.Patches));
                }
            }

            return page;
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
                    Added(kernel.BuildId);
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
                    Removed(buildId);
                }
            }

            CompactWhenDue();
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
                    Removed(buildId);
                }
            }

            CompactWhenDue();
        }
    }

    private IEnumerable<string> AddedAfter(string? after) =>
        after is null ? _addedSinceCompaction
        : _addedSinceCompaction.Max is { } last && string.CompareOrdinal(last, after) > 0
            ? _addedSinceCompaction.GetViewBetween(after, last).Where(id => string.CompareOrdinal(id, after) > 0)
            : [];

    // A kernel the ordered array still holds (removed, then back) needs no entry in the added set.
    private void Added(string buildId)
    {
        if (Array.BinarySearch(_ordered, buildId, StringComparer.Ordinal) < 0)
        {
            _addedSinceCompaction.Add(buildId);
        }
    }

    private void Removed(string buildId)
    {
        if (!_addedSinceCompaction.Remove(buildId))
        {
            _removedSinceCompaction++; // in the array: skipped by readers until the next compaction
        }
    }

    private void CompactWhenDue()
    {
        if (_addedSinceCompaction.Count + _removedSinceCompaction >= Math.Max(_compactAfter, _ordered.Length / 8))
        {
            Compact();
        }
    }

    /// <summary>Merges the added kernels into the ordered array and drops the removed ones: one pass over both.</summary>
    private void Compact()
    {
        var merged = new string[_byKernel.Count];
        var n = 0;
        using var added = _addedSinceCompaction.GetEnumerator();
        var next = added.MoveNext() ? added.Current : null;
        foreach (var id in _ordered)
        {
            while (next is not null && string.CompareOrdinal(next, id) < 0)
            {
                merged[n++] = next;
                next = added.MoveNext() ? added.Current : null;
            }

            if (_byKernel.TryGetValue(id, out var kernel))
            {
                merged[n++] = kernel.BuildId;
            }
        }

        while (next is not null)
        {
            merged[n++] = next;
            next = added.MoveNext() ? added.Current : null;
        }

        _ordered = merged;
        _addedSinceCompaction.Clear();
        _removedSinceCompaction = 0;
    }

    /// <summary>One kernel's patches in an array of exactly their number: most kernels have one, and a list's first growth
    /// makes room for four. Memory per kernel is a target (3 KiB at 100,000 kernels).</summary>
    private sealed class KernelPatches(string buildId)
    {
        public string BuildId { get; } = buildId;

        public PatchDocument[] Patches { get; set; } = [];
    }
}
