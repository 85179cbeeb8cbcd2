using System.Collections.Concurrent;
using LivePatch.Core.Mirrors;

namespace LivePatch.Core.Tests.Mirrors;

/// <summary>A source that records every path read from it.</summary>
internal sealed class CountingSource(IMirrorSource inner) : IMirrorSource
{
    private readonly ConcurrentQueue<string> _reads = new();

    public IReadOnlyList<string> Reads => [.. _reads];

    public string Description => inner.Description;

    public Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation)
    {
        _reads.Enqueue(path);
        return inner.ReadOrNullAsync(path, maxBytes, cancellation);
    }

    public Task<Stream?> OpenOrNullAsync(string path, CancellationToken cancellation)
    {
        _reads.Enqueue(path);
        return inner.OpenOrNullAsync(path, cancellation);
    }
}

/// <summary>A directory target that fails (IOException) on the write after <paramref name="writesBeforeFailure"/>, and calls
/// <paramref name="afterWrite"/> after each write that succeeded: a sync killed at that point.</summary>
internal sealed class InterruptedTarget(DirectoryMirrorTarget inner, int writesBeforeFailure, Action? afterWrite = null) : IMirrorTarget
{
    public int Writes { get; private set; }

    public string Description => inner.Description;

    public Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation) => inner.ReadOrNullAsync(path, maxBytes, cancellation);

    public Task<long?> SizeOrNullAsync(string path, CancellationToken cancellation) => inner.SizeOrNullAsync(path, cancellation);

    public async Task WriteAsync(string path, Stream content, long length, CancellationToken cancellation)
    {
        if (Writes == writesBeforeFailure)
        {
            throw new IOException("simulated crash");
        }

        await inner.WriteAsync(path, content, length, cancellation);
        Writes++;
        afterWrite?.Invoke();
    }

    public Task DeleteAsync(string path, CancellationToken cancellation) => inner.DeleteAsync(path, cancellation);

    public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellation) => inner.ListAsync(prefix, cancellation);

    public Task FlushAsync(CancellationToken cancellation) => inner.FlushAsync(cancellation);
}
