using LivePatch.Server.Storage;

namespace LivePatch.Server.Tests;

/// <summary>The fsync of LiteDB's log (<see cref="LiteDbLog"/>): after each committed transaction, shared by callers that
/// committed before a flush began, and of the file LiteDB writes now, also after the database was reopened. (That the
/// fsync reaches the disk before an answer is watched with strace: ServerDurabilityTests.)</summary>
public sealed class LiteDbLogTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("lpatch-log-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public void Flush_NoLogFileYet_NothingToFlushAndNoError()
    {
        using var log = new LiteDbLog(Path.Combine(_data, "repository.db"));

        log.Flush();

        Assert.Equal(Path.Combine(_data, "repository-log.db"), log.LogFile);
        Assert.Equal(0, log.Flushes);
    }

    [Fact]
    public void InTransaction_Committed_TheLogIsFlushedOncePerCommit()
    {
        using var db = new RepositoryDatabase(_data);
        var before = db.LogFlushes;

        db.InTransaction(() => db.ApiKeys.Insert(new ApiKeyDocument { Id = "k1", Name = "one", Role = "publisher" }));
        db.InTransaction(() => db.ApiKeys.Insert(new ApiKeyDocument { Id = "k2", Name = "two", Role = "publisher" }));

        Assert.Equal(before + 2, db.LogFlushes);
    }

    [Fact]
    public void InTransaction_RolledBack_NoFlush()
    {
        using var db = new RepositoryDatabase(_data);
        db.InTransaction(() => db.ApiKeys.Insert(new ApiKeyDocument { Id = "k1", Name = "one", Role = "publisher" }));
        var before = db.LogFlushes;

        Assert.Throws<InvalidOperationException>(() => db.InTransaction<int>(() =>
        {
            db.ApiKeys.Insert(new ApiKeyDocument { Id = "k2", Name = "two", Role = "publisher" });
            throw new InvalidOperationException("refused");
        }));

        Assert.Equal(before, db.LogFlushes);
    }

    [Fact]
    public async Task Flush_ManyCallersAtOnce_ShareFlushes()
    {
        using var db = new RepositoryDatabase(_data);
        db.InTransaction(() => db.ApiKeys.Insert(new ApiKeyDocument { Id = "k1", Name = "one", Role = "publisher" }));
        var before = db.LogFlushes;
        using var start = new Barrier(8);

        var callers = Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 50; i++)
            {
                db.FlushLog();
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(callers);

        // 400 calls; each waits for a flush that began after it, so at most one per call, and callers that arrive during a
        // flush share the next one.
        var flushes = db.LogFlushes - before;
        Assert.InRange(flushes, 1, 399);
    }

    [Fact]
    public void DropPageCache_DatabaseReopened_CommitsAfterItAreFlushedToo()
    {
        using var db = new RepositoryDatabase(_data);
        db.InTransaction(() => db.ApiKeys.Insert(new ApiKeyDocument { Id = "k1", Name = "one", Role = "publisher" }));

        db.DropPageCache();
        db.InTransaction(() => db.ApiKeys.Insert(new ApiKeyDocument { Id = "k2", Name = "two", Role = "publisher" }));

        Assert.Equal(1, db.LogFlushes); // a new log instance for the reopened database; it flushed the commit after it
        Assert.Equal(2, db.ApiKeys.Count());
    }
}
