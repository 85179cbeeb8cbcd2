using LivePatch.Server.ReadPath;
using System.Security.Cryptography;
using System.Text;
using LivePatch.Server.Manifests;

namespace LivePatch.Server.Tests;

/// <summary>The packed table the hot read path finds stored manifests in: lookups, replacement, growth, reclaiming
/// replaced records, and readers that never see a torn or mixed-up record while a writer works.</summary>
public sealed class ManifestTableTests
{
    private const string BuildId = "0123456789abcdef0123456789abcdef01234567";

    [Fact]
    public void AStoredManifest_IsFoundByItsKey_WithItsETagAndBytes()
    {
        var table = new ManifestTable();
        var body = Body("stable/" + BuildId, 1, 1500);
        table.SetAll([("stable/" + BuildId, ETagOf(body), body)]);

        Assert.True(table.TryGet("stable/" + BuildId, out var found));
        Assert.Equal(ETagOf(body), Encoding.ASCII.GetString(found.ETag));
        Assert.Equal(body, found.Body.ToArray());
        Assert.Equal(1, table.Count);
    }

    [Theory]
    [InlineData("stable/0123456789abcdef0123456789abcdef01234568")] // last character differs
    [InlineData("candidate/0123456789abcdef0123456789abcdef01234567")] // other channel
    [InlineData("stable/0123456789abcdef0123456789abcdef0123456")] // a prefix
    [InlineData("stable/0123456789abcdef0123456789abcdef012345670")] // longer
    [InlineData("stable/0123456789abcdef0123456789abcdef0123456\u00e9")] // not ASCII
    [InlineData("")]
    public void OtherKeys_AreNotFound(string key)
    {
        var table = new ManifestTable();
        var body = Body("stable/" + BuildId, 1, 100);
        table.SetAll([("stable/" + BuildId, ETagOf(body), body)]);

        Assert.False(table.TryGet(key, out _));
    }

    [Fact]
    public void SettingAKeyAgain_ReplacesItsRecord_AndCountsTheOldOneAsDead()
    {
        var table = new ManifestTable();
        var first = Body("k", 1, 1000);
        var second = Body("k", 2, 1200);
        table.SetAll([("stable/" + BuildId, ETagOf(first), first)]);
        var live = table.LiveBytes;
        table.SetAll([("stable/" + BuildId, ETagOf(second), second)]);

        Assert.True(table.TryGet("stable/" + BuildId, out var found));
        Assert.Equal(second, found.Body.ToArray());
        Assert.Equal(ETagOf(second), Encoding.ASCII.GetString(found.ETag));
        Assert.Equal(1, table.Count);
        Assert.Equal(live, table.DeadBytes);
        Assert.Equal(live + 200, table.LiveBytes);
    }

    [Fact]
    public void ManyKeys_GrowTheTableAcrossSegments_AndEveryOneIsFound()
    {
        // small segments, so that 20,000 records need many of them, and one record larger than any segment
        var table = new ManifestTable(minSegmentBytes: 4096, maxSegmentBytes: 65536);
        var keys = Enumerable.Range(0, 20_000).Select(KeyOf).ToList();
        foreach (var chunk in keys.Chunk(3_000))
        {
            table.SetAll(chunk.Select(k => (k, ETagOf(Body(k, 1, 300)), Body(k, 1, 300))).ToList());
        }

        var huge = Body("huge", 1, 200_000);
        table.SetAll([("stable/huge", ETagOf(huge), huge)]);

        Assert.Equal(20_001, table.Count);
        foreach (var key in keys)
        {
            Assert.True(table.TryGet(key, out var found), key);
            Assert.Equal(Body(key, 1, 300), found.Body.ToArray());
        }

        Assert.True(table.TryGet("stable/huge", out var big));
        Assert.Equal(huge, big.Body.ToArray());
    }

    [Fact]
    public void ReplacedRecords_AreReclaimed_SoMemoryFollowsTheLiveManifests_NotTheHistory()
    {
        // re-signing every manifest once a few days must not grow the table without bound
        var table = new ManifestTable(minSegmentBytes: 4096, maxSegmentBytes: 1 << 20);
        var keys = Enumerable.Range(0, 1_000).Select(KeyOf).ToList();
        for (var version = 1; version <= 20; version++)
        {
            table.SetAll(keys.Select(k => (k, ETagOf(Body(k, version, 1000)), Body(k, version, 1000))).ToList());
            Assert.True(table.DeadBytes <= Math.Max(table.LiveBytes, 4096), $"version {version}: {table.DeadBytes} dead, {table.LiveBytes} live");
        }

        Assert.Equal(1_000, table.Count);
        foreach (var key in keys)
        {
            Assert.True(table.TryGet(key, out var found));
            Assert.Equal(Body(key, 20, 1000), found.Body.ToArray());
        }
    }

    [Fact]
    public void AKeyThatIsNotAscii_IsRefused_AndNothingOfItsBatchIsStored()
    {
        var table = new ManifestTable();
        var body = Body("k", 1, 100);

        Assert.Throws<ArgumentException>(() => table.SetAll([("stable/" + BuildId, ETagOf(body), body), ("stable/\u00e9", "\"x\"", new byte[10])]));
        Assert.Equal(0, table.Count);
        Assert.Equal(0, table.LiveBytes);
        Assert.False(table.TryGet("stable/" + BuildId, out _));
    }

    [Fact]
    public async Task Readers_SeeEachManifestWhole_WhileAWriterReplacesThem_GrowsAndRebuildsTheTable()
    {
        // Every body names its key and version and every ETag is the body's hash: a reader that got a record before
        // it was complete, a slot pointing into a segment it cannot see, or another key's record, fails a check.
        var table = new ManifestTable(minSegmentBytes: 4096, maxSegmentBytes: 1 << 16);
        var keys = Enumerable.Range(0, 400).Select(KeyOf).ToList();
        table.SetAll(keys.Take(100).Select(k => (k, ETagOf(Body(k, 0, 500)), Body(k, 0, 500))).ToList());
        using var stop = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var lookups = 0L;

        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            var random = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                var index = random.Next(keys.Count);
                var key = keys[index];
                if (!table.TryGet(key, out var found))
                {
                    if (index < 100)
                    {
                        failures.Enqueue($"{key}: stored from the start, not found"); // a slot that led nowhere
                    }
                }
                else
                {
                    var body = found.Body.ToArray();
                    if (!body.AsSpan().StartsWith(Encoding.ASCII.GetBytes(key + "#")) || ETagOf(body) != Encoding.ASCII.GetString(found.ETag))
                    {
                        failures.Enqueue($"{key}: {Encoding.ASCII.GetString(body.AsSpan(0, Math.Min(60, body.Length)))}");
                    }

                    Interlocked.Increment(ref lookups);
                }
            }
        })).ToList();

        while (Interlocked.Read(ref lookups) == 0)
        {
            await Task.Delay(1); // the readers are running before the writer starts
        }

        for (var version = 1; version <= 60; version++)
        {
            var batch = keys.Take(100 + version * 5).ToList(); // new keys too: the slot array grows
            table.SetAll(batch.Select(k => (k, ETagOf(Body(k, version, 400 + version * 10)), Body(k, version, 400 + version * 10))).ToList());
        }

        await Task.Delay(100);
        stop.Cancel();
        await Task.WhenAll(readers);

        Assert.Empty(failures);
        Assert.True(Interlocked.Read(ref lookups) > 1000, $"only {lookups} lookups");
        Assert.Equal(400, table.Count);
        Assert.True(table.TryGet(keys[0], out var last));
        Assert.Equal(Body(keys[0], 60, 1000), last.Body.ToArray());
    }

    internal static string KeyOf(int i) => $"stable/{i:x40}";

    /// <summary>A body that says whose it is: "key#version#" then filler derived from both.</summary>
    internal static byte[] Body(string key, int version, int length)
    {
        var body = new byte[length];
        var head = Encoding.ASCII.GetBytes($"{key}#{version}#");
        head.AsSpan(0, Math.Min(head.Length, length)).CopyTo(body);
        for (var i = head.Length; i < length; i++)
        {
            body[i] = (byte)(i * 31 + version * 7 + key.Length);
        }

        return body;
    }

    internal static string ETagOf(byte[] body) => $"\"{Convert.ToHexStringLower(SHA256.HashData(body))}\"";
}
