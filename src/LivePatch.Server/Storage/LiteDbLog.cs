using LivePatch.Core;
using Microsoft.Win32.SafeHandles;

namespace LivePatch.Server.Storage;

/// <summary>Makes LiteDB's commits durable: fsync(2) of its log file (<c>repository-log.db</c>) after a commit and before
/// the write is answered or its documents served.</summary>
/// <remarks>
/// LiteDB 5 (5.0.21, checked in its source and with strace) writes a commit's pages to the log with plain writes and never
/// flushes the log: its only fsyncs are of the data file, at a checkpoint, which copies the log into the data file and then
/// truncates the log. So a commit it has returned from lives in the page cache until the kernel writes it back (up to half a
/// minute): a power cut or kernel crash in that window loses a publish, a revoke or an API key's deletion that the caller
/// was told succeeded, and rolls the repository's version counter back under versions hosts have already seen. A process
/// crash loses nothing (the page cache outlives the process).
/// <para>fsync flushes the file, whichever descriptor wrote it: this opens the log once, read-only, beside LiteDB's own
/// handle. LiteDB truncates the log at a checkpoint (same file) and deletes it only when the database is disposed, so one
/// instance lives exactly as long as one <c>LiteDatabase</c>. The first flush also flushes the folder, so the log file's
/// name survives with its bytes.</para>
/// <para>Group commit: a caller that committed before a flush began is covered by it. Callers that flush outside the writer
/// lock (API keys, host reports, the audit trail) share one fsync when they arrive together.</para>
/// </remarks>
public sealed class LiteDbLog : IDisposable
{
    private readonly string _path;
    private readonly Lock _gate = new();
    private SafeFileHandle? _log;
    private long _requested;
    private long _flushed;

    /// <param name="databaseFile">The LiteDB data file; its log is beside it (<c>name-log.ext</c>, LiteDB's own rule).</param>
    public LiteDbLog(string databaseFile)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(databaseFile))!;
        _path = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(databaseFile)}-log{Path.GetExtension(databaseFile)}");
    }

    /// <summary>The log file this flushes.</summary>
    public string LogFile => _path;

    /// <summary>How many fsyncs of the log this instance made (tests: a group of callers shares one).</summary>
    public long Flushes { get; private set; }

    /// <summary>Returns once every commit made before the call is on disk.</summary>
    /// <exception cref="IOException">The log could not be flushed: what was committed may not survive a power cut.</exception>
    public void Flush()
    {
        var ticket = Interlocked.Increment(ref _requested);
        lock (_gate)
        {
            if (Volatile.Read(ref _flushed) >= ticket)
            {
                return; // a flush that began after this caller's commit has finished
            }

            // Every ticket taken so far belongs to a commit made before this fsync begins.
            var covered = Interlocked.Read(ref _requested);
            if (_log is null)
            {
                if (!File.Exists(_path))
                {
                    // LiteDB creates its log with the first page it writes: no log, nothing committed since it was opened.
                    Volatile.Write(ref _flushed, covered);
                    return;
                }

                _log = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                DirectorySync.Flush(Path.GetDirectoryName(_path)!);
            }

            RandomAccess.FlushToDisk(_log);
            Flushes++;
            Volatile.Write(ref _flushed, covered);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _log?.Dispose();
            _log = null;
        }
    }
}
