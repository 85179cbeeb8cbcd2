using System.Collections.Concurrent;
using System.Text;
using LivePatch.Server.ReadPath;
using static LivePatch.Server.Tests.ManifestTableTests;

namespace LivePatch.Server.Tests;

/// <summary>The simple store of served manifests (<c>LivePatch:ReadPath=simple</c>): it answers every lookup exactly as the
/// tuned <see cref="ManifestTable"/> does, stays linear under a bulk publish's many small batches, and readers never see a
/// torn or mixed-up manifest while generations are swapped.</summary>
public sealed class ManifestSnapshotTests
{
    [Fact]
    public void SetAll_SameChangesAsTheTable_EveryLookupAnswersTheSameBytesAndETag()
    {
        // Many documents in chunks (merges included), then a third replaced, then single replacements: after each step both
        // stores must agree on every stored key and on keys never stored.
        var table = new ManifestTable(minSegmentBytes: 4096, maxSegmentBytes: 1 << 16);
        var snapshot = new ManifestSnapshot();
        var keys = Enumerable.Range(0, 12_000).Select(KeyOf).ToList();
        var misses = Enumerable.Range(12_000, 500).Select(KeyOf).Concat(["", "stable/", "candidate/" + keys[0][7..], keys[0] + "0", keys[0][..^1]]).ToList();
        var steps = new List<List<(string, string, byte[])>>();
        steps.AddRange(keys.Chunk(2_500).Select(chunk => chunk.Select(k => Manifest(k, 1, 300 + k.Length)).ToList()));
        steps.Add(keys.Where((_, i) => i % 3 == 0).Select(k => Manifest(k, 2, 900)).ToList());
        steps.AddRange(keys.Take(50).Select(k => new List<(string, string, byte[])> { Manifest(k, 3, 1500) }));
        steps.Add([Manifest(keys[1], 4, 10), Manifest(keys[1], 5, 20)]); // the same key twice in a batch: the last wins

        foreach (var step in steps)
        {
            table.SetAll(step);
            snapshot.SetAll(step);
            AssertSameAnswers(table, snapshot, keys, misses);
        }

        Assert.True(snapshot.TryGet(keys[1], out var last));
        Assert.Equal(Body(keys[1], 5, 20), last.Body.ToArray());
        Assert.True(snapshot.Merges >= 1, "the test never merged the overlay into the base");
    }

    [Fact]
    public void SetAll_KeyNotAscii_RefusedAsByTheTableAndNothingOfItsBatchIsStored()
    {
        var snapshot = new ManifestSnapshot();
        var good = Manifest(KeyOf(1), 1, 100);

        Assert.Throws<ArgumentException>(() => snapshot.SetAll([good, ("stable/\u00e9", "\"x\"", new byte[10])]));
        Assert.Throws<ArgumentException>(() => snapshot.SetAll([good, (KeyOf(2), "\"\u00e9\"", new byte[10])]));
        Assert.Equal(0, snapshot.Count);
        Assert.False(snapshot.TryGet(KeyOf(1), out _));
    }

    [Fact]
    public void SetAll_TenThousandKernelsInWriterBatchesOnTopOfAHundredThousand_MergesOnceNotPerBatch()
    {
        // The writer applies 32 kernels per turn of its lock: one frozen rebuild per batch would be 313 rebuilds of 100,000 keys.
        var snapshot = new ManifestSnapshot();
        snapshot.SetAll(Enumerable.Range(0, 100_000).Select(i => (KeyOf(i), "\"e\"", new byte[1])).ToList());
        var before = snapshot.Merges;

        foreach (var batch in Enumerable.Range(100_000, 10_000).Chunk(32))
        {
            snapshot.SetAll(batch.Select(i => (KeyOf(i), "\"e\"", new byte[1])).ToList());
        }

        Assert.Equal(110_000, snapshot.Count);
        Assert.InRange(snapshot.Merges - before, 0, 1); // the overlay may hold an eighth of the base: 12,500
        Assert.True(snapshot.TryGet(KeyOf(0), out _) && snapshot.TryGet(KeyOf(109_999), out _));
    }

    [Fact]
    public void TryGet_HitAndMiss_AllocatesNothing()
    {
        var snapshot = new ManifestSnapshot();
        snapshot.SetAll(Enumerable.Range(0, 5_000).Select(i => Manifest(KeyOf(i), 1, 100)).ToList()); // in the base
        snapshot.SetAll([Manifest(KeyOf(5_000), 1, 100)]); // in the overlay
        var keys = new[] { KeyOf(10), KeyOf(5_000), KeyOf(9_999) }.Select(k => k.ToCharArray()).ToArray();
        var found = 0;
        for (var i = 0; i < 100; i++)
        {
            found += Lookups(snapshot, keys); // JIT and tiering first
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            found += Lookups(snapshot, keys);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - allocated);
        Assert.Equal(10_100 * 2, found);
    }

    [Fact]
    public async Task Readers_SeeEachManifestWhole_WhileAWriterReplacesThemAndMerges()
    {
        // Every body names its key and version and every ETag is the body's hash: a reader that got another key's record, or
        // a generation half built, fails a check; keys stored from the start must never go missing across a swap.
        var snapshot = new ManifestSnapshot();
        var keys = Enumerable.Range(0, 6_000).Select(KeyOf).ToList();
        snapshot.SetAll(keys.Take(1_000).Select(k => Manifest(k, 0, 200)).ToList());
        using var stop = new CancellationTokenSource();
        var failures = new ConcurrentQueue<string>();
        var lookups = 0L;
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var random = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                var index = random.Next(keys.Count);
                if (!snapshot.TryGet(keys[index], out var found))
                {
                    if (index < 1_000)
                    {
                        failures.Enqueue($"{keys[index]}: stored from the start, not found");
                    }

                    continue;
                }

                var body = found.Body.ToArray();
                if (!body.AsSpan().StartsWith(Encoding.ASCII.GetBytes(keys[index] + "#")) || ETagOf(body) != Encoding.ASCII.GetString(found.ETag))
                {
                    failures.Enqueue($"{keys[index]}: {Encoding.ASCII.GetString(body.AsSpan(0, Math.Min(60, body.Length)))}");
                }

                Interlocked.Increment(ref lookups);
            }
        })).ToList();

        while (Interlocked.Read(ref lookups) == 0)
        {
            await Task.Delay(1); // the readers are running before the writer starts
        }

        for (var version = 1; version <= 200; version++)
        {
            snapshot.SetAll(keys.Skip((version - 1) * 30 % 5_000).Take(64).Select(k => Manifest(k, version, 150 + version)).ToList());
        }

        stop.Cancel();
        await Task.WhenAll(readers);

        Assert.Empty(failures);
        Assert.True(snapshot.Merges >= 1, "no merge happened while reading");
        Assert.True(Interlocked.Read(ref lookups) > 1000, $"only {lookups} lookups");
    }

    private static int Lookups(ManifestSnapshot snapshot, char[][] keys)
    {
        var found = 0;
        foreach (var key in keys)
        {
            found += snapshot.TryGet(key, out _) ? 1 : 0;
        }

        return found;
    }

    private static (string Key, string ETag, byte[] Body) Manifest(string key, int version, int length)
    {
        var body = Body(key, version, length);
        return (key, ETagOf(body), body);
    }

    private static void AssertSameAnswers(ManifestTable table, ManifestSnapshot snapshot, List<string> keys, List<string> misses)
    {
        Assert.Equal(table.Count, snapshot.Count);
        foreach (var key in keys.Concat(misses))
        {
            var inTable = table.TryGet(key, out var expected);
            Assert.Equal(inTable, snapshot.TryGet(key, out var actual));
            if (inTable)
            {
                Assert.True(expected.ETag.SequenceEqual(actual.ETag), key);
                Assert.True(expected.Body.Span.SequenceEqual(actual.Body.Span), key);
            }
        }
    }
}
