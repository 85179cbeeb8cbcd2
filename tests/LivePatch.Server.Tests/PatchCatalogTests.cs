using LivePatch.Server.Storage;

namespace LivePatch.Server.Tests;

/// <summary>The patch catalog's kernels in build ID order (<see cref="PatchCatalog.KernelsAfter"/>): the same as sorting
/// the kernels its patches name, across adds, replacements, removals and the compactions between them.</summary>
public sealed class PatchCatalogTests
{
    [Fact]
    public void KernelsAfter_RandomChangesAcrossCompactions_PagesEqualTheSortedKernels()
    {
        var random = new Random(20261130);
        var pool = Enumerable.Range(0, 60).Select(i => Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()))).ToArray();
        var catalog = new PatchCatalog([], compactAfter: 4);
        var stored = new Dictionary<int, PatchDocument>();

        for (var step = 0; step < 400; step++)
        {
            var id = random.Next(1, 25);
            if (random.Next(4) == 0)
            {
                catalog.Remove(id);
                stored.Remove(id);
            }
            else
            {
                // A new patch, or a replacement of one with other kernels (a promote, a revoke keep them; this is harder).
                var doc = new PatchDocument { Id = id, Name = "lp", Level = 1, BuildIds = [.. pool.OrderBy(_ => random.Next()).Take(random.Next(1, 6))] };
                catalog.Store(doc);
                stored[id] = doc;
            }

            var expected = stored.Values.SelectMany(p => p.BuildIds).Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, Walk(catalog, pageSize: 1 + (step % 5)));
            var cursor = expected.Count > 0 ? expected[random.Next(expected.Count)] : null;
            Assert.Equal(expected.Where(k => cursor is null || string.CompareOrdinal(k, cursor) > 0).Take(3),
                catalog.KernelsAfter(cursor, 3).Select(k => k.BuildId));
        }
    }

    [Fact]
    public void KernelsAfter_CursorNotAKernelOrPastTheLast_StartsAfterItsPlace()
    {
        var catalog = new PatchCatalog([new PatchDocument { Id = 1, BuildIds = ["bb", "dd"] }, new PatchDocument { Id = 2, BuildIds = ["aa", "dd"] }]);
        catalog.Store(new PatchDocument { Id = 3, BuildIds = ["cc"] }); // added since the compaction at construction

        Assert.Equal(["cc", "dd"], catalog.KernelsAfter("bc", 10).Select(k => k.BuildId));
        Assert.Empty(catalog.KernelsAfter("zz", 10));
        Assert.Equal([1, 2], Assert.Single(catalog.KernelsAfter("cc", 10)).Patches.Select(p => p.Id).Order());
    }

    private static List<string> Walk(PatchCatalog catalog, int pageSize)
    {
        var all = new List<string>();
        for (var page = catalog.KernelsAfter(null, pageSize); page.Count > 0; page = catalog.KernelsAfter(all[^1], pageSize))
        {
            all.AddRange(page.Select(k => k.BuildId));
        }

        return all;
    }
}
