using LivePatch.Server.Storage;

namespace LivePatch.Server.Tests;

/// <summary>The append-only store of signed bytes: what a record names is read back exactly, full segments are closed, and
/// only segments no served document lives in are ever deleted.</summary>
public sealed class SignedStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lpatch-signed-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Read_AfterAppendAndSync_ReturnsExactBytesAcrossARestart()
    {
        var first = Bytes(3000, 1);
        var second = Bytes(10, 2);
        SignedLocation a, b;
        using (var store = new SignedStore(_folder))
        {
            a = store.Append(first);
            b = store.Append(second);
            store.Sync();
        }

        using var reopened = new SignedStore(_folder);

        Assert.Equal(first, reopened.Read(a));
        Assert.Equal(second, reopened.Read(b));
        Assert.Equal(a.Offset + a.Length, b.Offset);
    }

    [Fact]
    public void Append_AfterRestart_GoesToANewSegmentNeverAfterATornTail()
    {
        SignedLocation before;
        using (var store = new SignedStore(_folder))
        {
            before = store.Append(Bytes(100, 1));
            store.Sync();
        }

        // A crash in the middle of an append: bytes no record names at the end of the segment.
        File.AppendAllText(Directory.GetFiles(_folder).Single(), "torn");
        using var reopened = new SignedStore(_folder);

        var after = reopened.Append(Bytes(50, 2));
        reopened.Sync();

        Assert.NotEqual(before.Segment, after.Segment);
        Assert.Equal(0, after.Offset);
        Assert.Equal(Bytes(100, 1), reopened.Read(before));
    }

    [Fact]
    public void Append_SegmentFull_StartsTheNextSegment()
    {
        using var store = new SignedStore(_folder, segmentBytes: 8192);

        var locations = Enumerable.Range(0, 5).Select(i => store.Append(Bytes(3000, i))).ToList();
        store.Sync();

        Assert.Equal([1, 1, 2, 2, 3], locations.Select(l => l.Segment));
        Assert.All(locations.Select((l, i) => (l, i)), x => Assert.Equal(Bytes(3000, x.i), store.Read(x.l)));
    }

    [Fact]
    public void DeleteDeadSegments_OnlyClosedSegmentsWithoutLiveDocumentsGo()
    {
        using var store = new SignedStore(_folder, segmentBytes: 8192);
        var old = Enumerable.Range(0, 2).Select(i => store.Append(Bytes(3000, i))).ToList();       // segment 1
        var kept = store.Append(Bytes(3000, 7));                                                   // segment 2
        var replacements = Enumerable.Range(0, 2).Select(i => store.Append(Bytes(3000, 10 + i))).ToList(); // segments 2 and 3
        store.Sync();
        old.ForEach(store.Retain);
        store.Retain(kept);
        // The two documents of segment 1 are replaced; segment 3, being written, has no live bytes yet either.
        old.ForEach(store.Release);

        Assert.Equal(1, store.DeleteDeadSegments());

        Assert.Throws<FileNotFoundException>(() => store.Read(old[0]));
        Assert.Equal(Bytes(3000, 7), store.Read(kept));
        Assert.Equal(Bytes(3000, 11), store.Read(replacements[1]));
    }

    [Fact]
    public void Read_LocationPastTheEnd_ThrowsIOException()
    {
        using var store = new SignedStore(_folder);
        var at = store.Append(Bytes(100, 1));
        store.Sync();

        Assert.Throws<IOException>(() => store.Read(at with { Length = 200 }));
    }

    [Fact]
    public void Constructor_ForeignFilesInTheFolder_NeitherReadNorDeleted()
    {
        var foreign = Path.Combine(_folder, "notes.seg");
        File.WriteAllText(foreign, "not a segment");
        using var store = new SignedStore(_folder);
        store.Append(Bytes(10, 1));
        store.Sync();

        store.DeleteDeadSegments();

        Assert.True(File.Exists(foreign));
    }

    private static byte[] Bytes(int count, int seed) => [.. Enumerable.Range(0, count).Select(i => (byte)(i * 31 + seed))];
}
