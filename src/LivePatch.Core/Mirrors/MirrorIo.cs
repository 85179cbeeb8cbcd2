using System.Security.Cryptography;

namespace LivePatch.Core.Mirrors;

/// <summary>The sync's only way to the source and the target: turns their I/O failures into refusals with the side's code,
/// and counts and reports what is written, skipped and deleted.</summary>
internal sealed class MirrorIo(IMirrorSource source, IMirrorTarget target, Action<MirrorProgress>? progress)
{
    private readonly Dictionary<MirrorFileKind, Counter> _counts = Enum.GetValues<MirrorFileKind>().ToDictionary(k => k, _ => new Counter());
    private long _files;
    private long _bytes;
    private long _deleted;

    public IMirrorSource Source => source;

    public IMirrorTarget Target => target;

    /// <summary>The source's bytes, or null when absent; more than <paramref name="maxBytes"/> is refused with
    /// <paramref name="tooLarge"/>.</summary>
    public async Task<byte[]?> ReadSourceAsync(string path, long maxBytes, ErrorCode tooLarge, CancellationToken cancellation)
    {
        try
        {
            return await Guard(() => source.ReadOrNullAsync(path, maxBytes, cancellation), ErrorCodes.MirrorSourceUnreachable,
                source.Description, path, cancellation).ConfigureAwait(false);
        }
        catch (MirrorSourceTooLargeException)
        {
            throw new MirrorRefusal(tooLarge, $"{source.Description} served {path} larger than the {maxBytes} bytes it may have.");
        }
    }

    public Task<Stream?> OpenSourceAsync(string path, CancellationToken cancellation) =>
        Guard(() => source.OpenOrNullAsync(path, cancellation), ErrorCodes.MirrorSourceUnreachable, source.Description, path, cancellation);

    public Task<byte[]?> ReadTargetAsync(string path, long maxBytes, CancellationToken cancellation) =>
        Guard(() => target.ReadOrNullAsync(path, maxBytes, cancellation), ErrorCodes.MirrorTargetFailed, target.Description, path, cancellation);

    public Task<long?> TargetSizeAsync(string path, CancellationToken cancellation) =>
        Guard(() => target.SizeOrNullAsync(path, cancellation), ErrorCodes.MirrorTargetFailed, target.Description, path, cancellation);

    /// <summary>Whether the target's file at <paramref name="path"/> is exactly the signed bytes named by size and SHA-256.</summary>
    public async Task<bool> TargetHoldsAsync(string path, long size, string sha256, CancellationToken cancellation)
    {
        if (await TargetSizeAsync(path, cancellation).ConfigureAwait(false) != size)
        {
            return false;
        }

        var bytes = await Guard(() => ReadWholeOrNullAsync(path, size, cancellation), ErrorCodes.MirrorTargetFailed, target.Description,
            path, cancellation).ConfigureAwait(false);
        return bytes is not null && Sha256Hex(bytes) == sha256;
    }

    /// <summary>The target's file if it is at most <paramref name="size"/> bytes (it may have grown since it was measured).</summary>
    private async Task<byte[]?> ReadWholeOrNullAsync(string path, long size, CancellationToken cancellation)
    {
        try
        {
            return await target.ReadOrNullAsync(path, size, cancellation).ConfigureAwait(false);
        }
        catch (MirrorSourceTooLargeException)
        {
            return null;
        }
    }

    public async Task WriteAsync(MirrorFileKind kind, string path, Stream content, long length, CancellationToken cancellation)
    {
        await Guard(async () => { await target.WriteAsync(path, content, length, cancellation).ConfigureAwait(false); return true; },
            ErrorCodes.MirrorTargetFailed, target.Description, path, cancellation).ConfigureAwait(false);
        var count = _counts[kind];
        (count.Copied, count.Bytes, _files, _bytes) = (count.Copied + 1, count.Bytes + length, _files + 1, _bytes + length);
        progress?.Invoke(new MirrorProgress(kind, path, _files, _bytes, _deleted));
    }

    /// <summary>The end of a phase: what was written becomes durable before the next phase writes what names it.</summary>
    public Task FlushTargetAsync(CancellationToken cancellation) =>
        Guard(async () => { await target.FlushAsync(cancellation).ConfigureAwait(false); return true; },
            ErrorCodes.MirrorTargetFailed, target.Description, "(flush)", cancellation);

    public async Task DeleteAsync(MirrorFileKind kind, string path, CancellationToken cancellation)
    {
        await Guard(async () => { await target.DeleteAsync(path, cancellation).ConfigureAwait(false); return true; },
            ErrorCodes.MirrorTargetFailed, target.Description, path, cancellation).ConfigureAwait(false);
        _counts[kind].Deleted++;
        _deleted++;
        progress?.Invoke(new MirrorProgress(kind, path, _files, _bytes, _deleted));
    }

    /// <summary>Every file the target holds under <paramref name="prefix"/>, read whole before anything is deleted.</summary>
    public Task<List<string>> ListTargetAsync(string prefix, CancellationToken cancellation) =>
        Guard(async () =>
        {
            var paths = new List<string>();
            await foreach (var path in target.ListAsync(prefix, cancellation).ConfigureAwait(false))
            {
                paths.Add(path);
            }

            return paths;
        }, ErrorCodes.MirrorTargetFailed, target.Description, prefix, cancellation);

    public void Skipped(MirrorFileKind kind) => _counts[kind].Skipped++;

    public MirrorCount CountOf(MirrorFileKind kind) => _counts[kind].ToRecord();

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>I/O and transport failures become the side's refusal; the caller's cancellation stays cancellation.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> call, ErrorCode code, string side, string path, CancellationToken cancellation)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException
            || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            if (e is MirrorSourceTooLargeException)
            {
                throw;
            }

            // A target that knows what went wrong (credentials refused, no such bucket) keeps its code: the operator's fix
            // differs from that of a disk that failed.
            throw new MirrorRefusal(e is MirrorTargetException own ? own.Error : code, $"{side}: {path}: {e.Message}");
        }
    }

    private sealed class Counter
    {
        public long Copied { get; set; }

        public long Bytes { get; set; }

        public long Skipped { get; set; }

        public long Deleted { get; set; }

        public MirrorCount ToRecord() => new(Copied, Bytes, Skipped, Deleted);
    }
}
