namespace LivePatch.Server.Health;

/// <summary>Blocking I/O for a readiness check (a LiteDB read, an fsync): run on the thread pool and given up on when the
/// check's time-out fires, with at most one run at a time, so a hung disk holds one thread however often it is asked.</summary>
public sealed class BlockingProbe(Action probe)
{
    private readonly Lock _lock = new();
    private Task? _running;

    /// <summary>Runs the probe, or joins the run still under way; throws what the probe threw, or
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellation"/> fires first.</summary>
    public Task RunAsync(CancellationToken cancellation)
    {
        Task running;
        lock (_lock)
        {
            if (_running is null || _running.IsCompleted)
            {
                _running = Task.Run(probe, CancellationToken.None);
            }

            running = _running;
        }

        return running.WaitAsync(cancellation);
    }
}
