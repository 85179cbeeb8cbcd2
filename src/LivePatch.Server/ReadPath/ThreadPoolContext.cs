namespace LivePatch.Server.ReadPath;

/// <summary>Runs a request off the socket's event thread and keeps it on the thread pool across every await.</summary>
/// <remarks>
/// With <see cref="Configuration.RepositoryOptions.InlineSocketIo"/> (the default), a request is parsed and handled on
/// the socket's event thread, and an await of request data resumes on that thread too: no thread-pool hop per
/// request, which is what lets the read path keep up with nginx. Only the read path may stay there, because it
/// answers from memory. Everything else (authentication against LiteDB, a publish that signs a manifest for each of
/// thousands of kernels, reading a blob from disk) would hold the event thread and every connection served by it.
/// <see cref="Run"/> starts such a request on the thread pool under this context; an <c>await</c> captures the
/// current <see cref="SynchronizationContext"/> and posts its continuation to it, so the request's code comes back to
/// the thread pool after each await instead of resuming on whichever event thread delivered the data.
/// </remarks>
public sealed class ThreadPoolContext : SynchronizationContext
{
    public static ThreadPoolContext Instance { get; } = new();

    private ThreadPoolContext()
    {
    }

    /// <summary>Runs <paramref name="work"/> on the thread pool under this context; its awaits resume there too.</summary>
    public static Task Run(Func<HttpContext, Task> work, HttpContext context) =>
        Task.Factory.StartNew(
            static state =>
            {
                var (work, context) = ((Func<HttpContext, Task>, HttpContext))state!;
                return Instance.Invoke(work, context);
            },
            (work, context),
            CancellationToken.None,
            TaskCreationOptions.DenyChildAttach,
            TaskScheduler.Default).Unwrap();

    public override void Post(SendOrPostCallback d, object? state) =>
        ThreadPool.QueueUserWorkItem(static s => Instance.Invoke(s.d, s.state), (d, state), preferLocal: false);

    public override void Send(SendOrPostCallback d, object? state) => Invoke(d, state);

    public override SynchronizationContext CreateCopy() => this;

    private void Invoke(SendOrPostCallback d, object? state)
    {
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            d(state);
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    private Task Invoke(Func<HttpContext, Task> work, HttpContext context)
    {
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            return work(context); // runs until its first incomplete await, which captures this context
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }
}
