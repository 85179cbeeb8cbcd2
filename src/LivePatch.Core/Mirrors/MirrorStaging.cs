namespace LivePatch.Core.Mirrors;

/// <summary>A verified document kept until its turn to be written: in memory, or in a staging file.</summary>
internal sealed class StagedContent
{
    private readonly byte[]? _bytes;
    private readonly string? _file;

    public StagedContent(byte[] bytes) => _bytes = bytes;

    public StagedContent(string file) => _file = file;

    public Stream Open() => _bytes is not null
        ? new MemoryStream(_bytes, writable: false)
        : new FileStream(_file!, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
}

/// <summary>Where verified documents and blobs wait until everything the new index names has been verified: nothing
/// reaches the target before that. Documents stay in memory up to <see cref="MemoryBudget"/>, the rest (and every blob) in
/// a private folder, so a huge repository does not have to fit in memory.</summary>
/// <remarks>Owner-only (0700). Removed on dispose; one left by a killed sync is an ordinary temp folder. Memory first: a
/// staging file per document was a create, a write, an open, a read and a delete for each of thousands of small files.</remarks>
internal sealed class MirrorStaging : IDisposable
{
    /// <summary>Document bytes held in memory at most (10,000 manifests are about 15 MB).</summary>
    public const long MemoryBudget = 128L * 1024 * 1024;

    private readonly string _folder;
    private long _next;
    private long _inMemory;

    public MirrorStaging(string? parent)
    {
        _folder = Path.Combine(Path.GetFullPath(parent ?? Path.GetTempPath()), $"lpatch-mirror-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_folder);
        }
        else
        {
            Directory.CreateDirectory(_folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Keeps <paramref name="bytes"/> (not copied: the caller must not change them).</summary>
    public StagedContent Put(byte[] bytes)
    {
        if (Interlocked.Add(ref _inMemory, bytes.Length) <= MemoryBudget)
        {
            return new StagedContent(bytes);
        }

        Interlocked.Add(ref _inMemory, -bytes.Length);
        var file = NewFile();
        using var stream = AtomicFile.CreateNew(file, AtomicFile.OwnerOnly);
        stream.Write(bytes);
        return new StagedContent(file);
    }

    /// <summary>A new file name inside the folder (not created).</summary>
    public string NewFile() => Path.Combine(_folder, $"{Interlocked.Increment(ref _next)}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder left behind costs nothing but space
        }
    }
}
