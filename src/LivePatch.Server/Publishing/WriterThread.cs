namespace LivePatch.Server.Publishing;

/// <summary>Runs work that takes the writer lock (<see cref="ManifestWriter"/>) on a thread of its own, never on a thread of
/// the thread pool, which answers requests.</summary>
/// <remarks>
/// A write is synchronous (LiteDB binds a transaction to its thread) and may hold its thread for long: a bulk publish signs
/// its later batches for a second or more, the re-signer a whole pass, and a write queued behind another waits for the lock.
/// The thread pool starts with as many threads as cores and, when all are busy, adds about one every half second: on a
/// one-core server, a revoke sent during a bulk publish sat in the pool's queue for about a second before it reached the
/// writer lock (bench/publish.sh, with the pool's queue traced), though the lock was free between every batch. A thread of
/// its own costs a write about a tenth of a millisecond; a write costs milliseconds.
/// </remarks>
public static class WriterThread
{
    /// <summary>Runs <paramref name="work"/> on a new thread; the task ends with its result or its exception.</summary>
    public static Task<T> Run<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
}
