using System.Formats.Tar;
using System.Runtime.CompilerServices;
using ZstdSharp;

namespace LivePatch.Core.Mirrors.Bundles;

/// <summary>Writes a bundle: the read tree as a PAX tar, compressed with zstd, in the order the sync writes (blobs,
/// manifests, bins, the index last). A target of the mirror sync, so export verifies exactly what a sync verifies.</summary>
/// <remarks>The file appears under its name only when <see cref="CompleteAsync"/> succeeds (temp file, fsync, rename):
/// an interrupted export leaves no half bundle that could be carried to a site. Entries carry fixed times and modes, so
/// the same content makes the same bytes.</remarks>
public sealed class BundleWriter : IMirrorTarget, IAsyncDisposable
{
    private readonly string _path;
    private readonly string _temp;
    private readonly FileStream _file;
    private readonly CompressionStream _zstd;
    private readonly TarWriter _tar;
    private readonly Dictionary<string, long> _written = new(StringComparer.Ordinal);
    private bool _completed;

    public BundleWriter(string path, int compressionLevel = 3)
    {
        _path = Path.GetFullPath(path);
        _temp = $"{_path}.tmp-{Environment.ProcessId}";
        _file = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        _zstd = new CompressionStream(_file, compressionLevel, leaveOpen: true);
        _zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1); // a flipped bit is "damaged", not a puzzle
        _tar = new TarWriter(_zstd, TarEntryFormat.Pax, leaveOpen: true);
    }

    public string Description => _path;

    /// <summary>Entries written so far and their bytes.</summary>
    public int Entries => _written.Count;

    /// <summary>A bundle holds nothing before it is written: every document is new to it.</summary>
    public Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation) => Task.FromResult<byte[]?>(null);

    /// <summary>What this bundle already holds, so that a blob two manifests name is written once.</summary>
    public Task<long?> SizeOrNullAsync(string path, CancellationToken cancellation) =>
        Task.FromResult(_written.TryGetValue(path, out var size) ? size : (long?)null);

    public async Task WriteAsync(string path, Stream content, long length, CancellationToken cancellation)
    {
        if (MirrorTree.KindOf(path) is null)
        {
            throw new ArgumentException($"'{path}' is not a path of the read tree", nameof(path));
        }

        if (_written.ContainsKey(path))
        {
            return; // a tar may hold a name twice, but the importer refuses it: the first copy was verified the same way
        }

        var entry = new PaxTarEntry(TarEntryType.RegularFile, path)
        {
            ModificationTime = DateTimeOffset.UnixEpoch,
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            DataStream = await ExactlyAsync(content, length, cancellation),
        };
        await _tar.WriteEntryAsync(entry, cancellation);
        _written[path] = length;
    }

    public Task DeleteAsync(string path, CancellationToken cancellation) =>
        throw new NotSupportedException("a bundle is written once: nothing in it is deleted (--prune applies to directories and buckets)");

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellation)
    {
        await Task.CompletedTask;
        foreach (var path in _written.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)))
        {
            yield return path;
        }
    }

    /// <summary>Nothing per phase: a bundle is one file, made durable and put under its name whole by
    /// <see cref="CompleteAsync"/>.</summary>
    public Task FlushAsync(CancellationToken cancellation) => Task.CompletedTask;

    /// <summary>Ends the archive, flushes it to disk and moves it under its name.</summary>
    public async Task CompleteAsync(CancellationToken cancellation)
    {
        await _tar.DisposeAsync(); // writes the two empty blocks that end a tar
        await _zstd.DisposeAsync();
        await _file.FlushAsync(cancellation);
        _file.Flush(flushToDisk: true);
        await _file.DisposeAsync();
        File.Move(_temp, _path, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(_path)!);
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_completed)
        {
            return;
        }

        await _tar.DisposeAsync();
        await _zstd.DisposeAsync();
        await _file.DisposeAsync();
        File.Delete(_temp);
    }

    // TarWriter takes an entry's size from its stream's length: give it a stream that holds exactly the verified bytes.
    private static async Task<Stream> ExactlyAsync(Stream content, long length, CancellationToken cancellation)
    {
        if (content.CanSeek && content.Length - content.Position == length)
        {
            return content;
        }

        var copy = new MemoryStream();
        await MirrorStreams.CopyExactlyAsync(content, copy, length, "bundle entry", cancellation);
        copy.Position = 0;
        return copy;
    }
}
