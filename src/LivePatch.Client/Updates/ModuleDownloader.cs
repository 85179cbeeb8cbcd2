using System.Net;
using System.Security.Cryptography;
using LivePatch.Client.Host;
using LivePatch.Core;
using LivePatch.Core.Manifests;

namespace LivePatch.Client.Updates;

/// <summary>How far a download is.</summary>
public sealed record DownloadProgress(string Sha256, long Received, long Total);

/// <summary>Blob bytes whose size and SHA-256 equal what the manifest names: the input of step 9, held in memory so that
/// nothing is read from a path again between this check and the load.</summary>
public sealed record DownloadedModule(ManifestPatch Patch, byte[] Bytes);

/// <summary>Step 8: downloads a module, hashing it while streaming: stop at the declared size, resume with Range after an
/// interruption, keep the verified bytes in the content-addressed cache (temp file, rename).</summary>
/// <remarks>
/// Files are never appended to or truncated: a resumed download copies the kept bytes (read without following links and
/// hashed on the way) into a new temp file and continues there; an interrupted one renames its temp file to
/// <c>partial/&lt;sha256&gt;</c> for the next run. A cached file is read once and hashed, never trusted blindly.
/// </remarks>
public sealed class ModuleDownloader(string cacheDirectory, long maxModuleBytes, TimeSpan timeout)
{
    private readonly string _blobs = Path.Combine(cacheDirectory, "sha256");
    private readonly string _partial = Path.Combine(cacheDirectory, "partial");

    public string PathOf(string sha256) => Path.Combine(_blobs, sha256);

    public async Task<(DownloadedModule? Module, UpdateFailure? Failure)> DownloadAsync(RepositoryClient repository, ManifestPatch patch,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        if (patch.Size > maxModuleBytes)
        {
            return (null, UpdateFailure.Refused(ClientErrorCodes.DownloadTooLarge, $"{patch.Name} level {patch.Level} is {patch.Size} bytes, above maxModuleBytes ({maxModuleBytes})."));
        }

        if (CachedOrNull(patch) is { } cached)
        {
            return (new DownloadedModule(patch, cached), null);
        }

        foreach (var folder in new[] { cacheDirectory, _blobs, _partial })
        {
            PrivateDirectory.Ensure(folder, "cacheDirectory");
        }

        var kept = KeptPartial(patch);
        var (bytes, failure) = await FetchAsync(repository, patch, kept, progress, cancellation);
        if (failure is not null && kept.Length > 0 && failure.Category == ErrorCategory.Refused)
        {
            // The bytes kept from an earlier run may be the wrong ones (a torn write when the host went down): start over
            // once, from nothing, before blaming the repository.
            (bytes, failure) = await FetchAsync(repository, patch, [], progress, cancellation);
        }

        return failure is null ? (new DownloadedModule(patch, bytes!), null) : (null, failure);
    }

    /// <summary>The cached blob when it is there and its bytes still hash right; a damaged one is deleted.</summary>
    private byte[]? CachedOrNull(ManifestPatch patch)
    {
        byte[]? bytes;
        try
        {
            bytes = PrivateFile.ReadBoundedOrNull(PathOf(patch.Sha256), (int)patch.Size);
        }
        catch (LivePatchFormatException)
        {
            bytes = null; // longer than declared: not the blob
        }

        if (bytes is not null && bytes.Length == patch.Size && Convert.ToHexStringLower(SHA256.HashData(bytes)) == patch.Sha256)
        {
            return bytes;
        }

        if (bytes is not null)
        {
            File.Delete(PathOf(patch.Sha256)); // damaged: fetched again
        }

        return null;
    }

    /// <summary>What an interrupted earlier run received (at most the declared size), or nothing.</summary>
    private byte[] KeptPartial(ManifestPatch patch)
    {
        var path = Path.Combine(_partial, patch.Sha256);
        try
        {
            return PrivateFile.ReadBoundedOrNull(path, (int)patch.Size) ?? [];
        }
        catch (LivePatchFormatException)
        {
            File.Delete(path); // more than the blob can be: never resume from it
            return [];
        }
    }

    private async Task<(byte[]? Bytes, UpdateFailure? Failure)> FetchAsync(RepositoryClient repository, ManifestPatch patch, byte[] kept,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        var temp = AtomicFile.TempPathFor(PathOf(patch.Sha256));
        var received = new Received(patch, temp);
        try
        {
            received.Append(kept);
            var failure = kept.Length == patch.Size ? null : await ReceiveAsync(repository, patch, received, progress, cancellation);
            failure ??= received.Check(repository.Server);
            if (failure is null)
            {
                received.Commit(PathOf(patch.Sha256));
                File.Delete(Path.Combine(_partial, patch.Sha256));
                return (received.Bytes, null);
            }

            // What arrived stays for the next attempt, unless it is known to be wrong.
            var wrong = failure.Category == ErrorCategory.Refused;
            received.Keep(wrong ? null : Path.Combine(_partial, patch.Sha256));
            if (wrong)
            {
                File.Delete(Path.Combine(_partial, patch.Sha256));
            }

            return (null, failure);
        }
        finally
        {
            received.Dispose();
        }
    }

    private async Task<UpdateFailure?> ReceiveAsync(RepositoryClient repository, ManifestPatch patch, Received received,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            deadline.CancelAfter(timeout);
            for (var attempt = 0; ; attempt++)
            {
                var from = received.Length;
                using var response = await repository.Api.GetBlobAsync(patch.Sha256, from > 0 ? $"bytes={from}-" : null, deadline.Token);
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
                {
                    return new UpdateFailure(ClientErrorCodes.DownloadFailed, $"{repository.Server} answered {(int)response.StatusCode} for blob {patch.Sha256}.");
                }

                // A server that ignores Range sends everything again (200): take the body from its start. A 206 must
                // start exactly where we asked; one that does not is discarded and the blob asked for again without Range.
                var partial = response.StatusCode == HttpStatusCode.PartialContent;
                if (partial && (from == 0 || response.Content.Headers.ContentRange?.From != from))
                {
                    received.Restart();
                    if (attempt == 0)
                    {
                        continue;
                    }

                    return new UpdateFailure(ClientErrorCodes.DownloadFailed,
                        $"{repository.Server} answered a request for all of blob {patch.Sha256} with a part of it.");
                }

                if (!partial && from > 0)
                {
                    received.Restart();
                }

                await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);
                return await received.CopyFromAsync(body, progress, deadline.Token);
            }
        }
        catch (Exception e) when (e is RepositoryUnreachableException or RepositoryApiException or HttpRequestException or IOException
            || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            return new UpdateFailure(ClientErrorCodes.DownloadFailed, $"{repository.Server}: download of {patch.Sha256} interrupted: {e.Message}");
        }
    }

    /// <summary>The bytes of one download: in memory, in a temp file created for this run, and in a running SHA-256.</summary>
    private sealed class Received(ManifestPatch patch, string temp) : IDisposable
    {
        private readonly MemoryStream _bytes = new();
        private IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private FileStream? _file;

        public long Length => _bytes.Length;

        public byte[] Bytes => _bytes.ToArray();

        public void Append(ReadOnlySpan<byte> data)
        {
            _file ??= AtomicFile.CreateNew(temp, AtomicFile.OwnerOnly);
            _file.Write(data);
            _bytes.Write(data);
            _hash.AppendData(data);
        }

        public void Restart()
        {
            _file?.Dispose();
            _file = null;
            File.Delete(temp);
            _bytes.SetLength(0);
            _hash.Dispose();
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }

        public async Task<UpdateFailure?> CopyFromAsync(Stream body, IProgress<DownloadProgress>? progress, CancellationToken cancellation)
        {
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await body.ReadAsync(buffer, cancellation)) > 0)
            {
                if (Length + read > patch.Size)
                {
                    return UpdateFailure.Refused(ClientErrorCodes.DownloadTooLarge, $"The repository sent more than the {patch.Size} bytes the manifest declares for {patch.Sha256}.");
                }

                Append(buffer.AsSpan(0, read));
                progress?.Report(new DownloadProgress(patch.Sha256, Length, patch.Size));
            }

            return null;
        }

        /// <summary>Size and SHA-256 of everything received, against the manifest.</summary>
        public UpdateFailure? Check(Uri server)
        {
            if (Length < patch.Size)
            {
                return new UpdateFailure(ClientErrorCodes.DownloadFailed,
                    $"{server}: the download of {patch.Sha256} ended after {Length} of {patch.Size} bytes.");
            }

            var hash = Convert.ToHexStringLower(_hash.GetCurrentHash());
            return hash == patch.Sha256 ? null : UpdateFailure.Refused(ClientErrorCodes.DownloadHashMismatch,
                $"{server} sent {Length} bytes with SHA-256 {hash} for {patch.Name} level {patch.Level}; the manifest says {patch.Size} bytes, {patch.Sha256}.");
        }

        /// <summary>Makes the verified bytes the cache's copy: fsync, rename.</summary>
        public void Commit(string final)
        {
            Close(durable: true);
            File.Move(temp, final, overwrite: true);
            DirectorySync.Flush(Path.GetDirectoryName(final)!);
        }

        /// <summary>Keeps what arrived as the partial file for the next run, or drops it (<paramref name="partial"/> null).</summary>
        public void Keep(string? partial)
        {
            Close(durable: partial is not null);
            if (partial is not null && Length > 0)
            {
                File.Move(temp, partial, overwrite: true);
            }
        }

        public void Dispose()
        {
            _file?.Dispose();
            File.Delete(temp);
            _hash.Dispose();
        }

        private void Close(bool durable)
        {
            if (_file is null)
            {
                Append([]); // nothing arrived: still a (empty) file to rename
            }

            _file!.Flush(flushToDisk: durable);
            _file.Dispose();
            _file = null;
        }
    }
}
