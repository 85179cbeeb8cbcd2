using LivePatch.Server.ReadPath;
using LivePatch.Server.Api;
using Microsoft.AspNetCore.Http;

namespace LivePatch.Server.Tests;

/// <summary>
/// What inline socket I/O relies on: work started through <see cref="ThreadPoolContext"/> comes back to the thread
/// pool after an await, even when the awaited data is delivered by another thread (the socket's event thread).
/// </summary>
public sealed class ThreadPoolContextTests
{
    [Fact]
    public async Task AfterAnAwait_WorkResumesOnThePool_NotOnTheThreadThatCompletedIt()
    {
        var (start, resumed) = await RunAsync(work => ThreadPoolContext.Run(_ => work(), new DefaultHttpContext()));

        Assert.True(start.IsThreadPoolThread);
        Assert.True(resumed.IsThreadPoolThread, $"resumed on '{resumed.Name}'");
        Assert.NotEqual(EventThreadName, resumed.Name);
    }

    [Fact]
    public async Task WithoutTheContext_WorkResumesOnTheCompletingThread()
    {
        // The control: the same work started directly is continued on the "event thread", as Kestrel's inline
        // scheduling would continue a request after a read. This is what ThreadPoolContext prevents.
        var (_, resumed) = await RunAsync(work => Task.Run(work));

        Assert.Equal(EventThreadName, resumed.Name);
    }

    [Fact]
    public async Task TheContext_StaysWithTheWork_AcrossSeveralAwaits_AndIsNotLeftOnThePoolThreads()
    {
        var contexts = new List<SynchronizationContext?>();
        await ThreadPoolContext.Run(async _ =>
        {
            contexts.Add(SynchronizationContext.Current);
            await Task.Yield();
            contexts.Add(SynchronizationContext.Current);
            await Task.Delay(1);
            contexts.Add(SynchronizationContext.Current);
        }, new DefaultHttpContext());

        Assert.All(contexts, c => Assert.Same(ThreadPoolContext.Instance, c));
        var leftBehind = await Task.Run(() => SynchronizationContext.Current);
        Assert.Null(leftBehind);
    }

    [Fact]
    public async Task AnException_ReachesTheCaller()
    {
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ThreadPoolContext.Run(_ => throw new InvalidOperationException("boom"), new DefaultHttpContext()));
        Assert.Equal("boom", thrown.Message);
    }

    private const string EventThreadName = "fake socket event thread";

    /// <summary>Starts <c>work</c> through <paramref name="start"/>; the work awaits data that a dedicated thread
    /// delivers, with continuations allowed to run inline on it, as a socket engine with inline completions does.</summary>
    /// <remarks>The data must arrive after the work has started waiting for it, or the await would not wait at all:
    /// the dedicated thread gives the work a moment, and an attempt where the data was there first is repeated.</remarks>
    private static async Task<(Thread Start, Thread Resumed)> RunAsync(Func<Func<Task>, Task> start)
    {
        for (var attempt = 0; ; attempt++)
        {
            var data = new TaskCompletionSource(TaskCreationOptions.None); // not RunContinuationsAsynchronously: inline
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Thread? startThread = null, resumedThread = null;
            var waited = false;
            var running = start(async () =>
            {
                startThread = Thread.CurrentThread;
                started.SetResult();
                waited = !data.Task.IsCompleted;
                await data.Task;
                resumedThread = Thread.CurrentThread;
            });

            await started.Task;
            var eventThread = new Thread(() =>
            {
                Thread.Sleep(10);
                data.SetResult();
            }) { Name = EventThreadName };
            eventThread.Start();
            eventThread.Join();
            await running;
            if (waited || attempt == 20)
            {
                Assert.True(waited, "the data arrived before the work waited for it in 20 attempts");
                return (startThread!, resumedThread!);
            }
        }
    }
}
