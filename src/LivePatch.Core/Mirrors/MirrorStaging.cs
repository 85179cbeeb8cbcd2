namespace LivePatch.Core.Mirrors;

/// <summary>A private folder where verified documents and blobs wait until everything the new index names has been
/// verified: nothing reaches the target before that, and documents are not all held in memory.</summary>
/// <remarks>Owner-only (0700). Removed on dispose; one left by a killed sync is an ordinary temp folder.</remarks>
internal sealed class MirrorStaging : IDisposable
{
    private readonly string _folder;
    private long _next;

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

    /// <summary>Keeps <paramref name="bytes"/>; returns the staged file's path.</summary>
    public string Put(ReadOnlySpan<byte> bytes)
    {
        var file = NewFile();
        using var stream = AtomicFile.CreateNew(file, AtomicFile.OwnerOnly);
        stream.Write(bytes);
        return file;
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
