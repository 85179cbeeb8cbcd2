using System.Net;
using System.Security.Cryptography;
using LivePatch.Core.Manifests;
using LivePatch.Core;

namespace LivePatch.Client.Updates;

/// <summary>How far a download is.</summary>
public sealed record DownloadProgress(string Sha256, long Received, long Total);

/// <summary>Step 8: downloads a module into the content-addressed cache: temp file, stop at the declared size, SHA-256
/// while streaming, resume with Range after an interruption, atomic rename. A cached file is re-hashed, never trusted blindly.</summary>
public sealed class ModuleDownloader(string cacheDirectory, long maxModuleBytes, TimeSpan timeout)
{
    private readonly string _blobs = Path.Combine(cacheDirectory, "sha256");
    private readonly string _partial = Path.Combine(cacheDirectory, "partial");

    public string PathOf(string sha256) => Path.Combine(_blobs, sha256);

    public async Task<(string? Path, UpdateFailure? Failure)> DownloadAsync(RepositoryClient repository, ManifestPatch patch,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        if (patch.Size > maxModuleBytes)
        {
            return (null, UpdateFailure.Refused(ClientErrorCodes.DownloadTooLarge, $"{patch.Name} level {patch.Level} is {patch.Size} bytes, above maxModuleBytes ({maxModuleBytes})."));
        }

        var final = PathOf(patch.Sha256);
        if (File.Exists(final) && await HashOfAsync(final, cancellation) == patch.Sha256 && new FileInfo(final).Length == patch.Size)
        {
            return (final, null);
        }

        AtomicFile.EnsureOwnerOnlyDirectory(cacheDirectory);
        AtomicFile.EnsureOwnerOnlyDirectory(_blobs);
        AtomicFile.EnsureOwnerOnlyDirectory(_partial);
        var partial = Path.Combine(_partial, patch.Sha256);
        var resumed = File.Exists(partial);
        var failure = await FetchAsync(repository, patch, partial, progress, cancellation);
        if (failure is not null)
        {
            return (null, failure);
        }

        var length = new FileInfo(partial).Length;
        var hash = await HashOfAsync(partial, cancellation);
        if (length != patch.Size || hash != patch.Sha256)
        {
            File.Delete(partial); // wrong bytes: never resume from them
            if (resumed)
            {
                // The bytes kept from an earlier run may be the wrong ones (a torn write when the host went down):
                // start over once, from nothing, before blaming the repository. Without a partial this cannot recurse again.
                return await DownloadAsync(repository, patch, progress, cancellation);
            }

            return (null, UpdateFailure.Refused(length != patch.Size ? ClientErrorCodes.DownloadSizeMismatch : ClientErrorCodes.DownloadHashMismatch,
                $"{repository.Server} sent {length} bytes with SHA-256 {hash} for {patch.Name} level {patch.Level}; the manifest says {patch.Size} bytes, {patch.Sha256}."));
        }

        File.Move(partial, final, overwrite: true);
        return (final, null);
    }

    private async Task<UpdateFailure?> FetchAsync(RepositoryClient repository, ManifestPatch patch, string partial,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (have > patch.Size)
        {
            File.Delete(partial);
            have = 0;
        }

        if (have == patch.Size)
        {
            return null; // complete from an earlier run: the hash check decides, no request needed
        }

        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            deadline.CancelAfter(timeout);
            using var response = await repository.Api.GetBlobAsync(patch.Sha256, have > 0 ? $"bytes={have}-" : null, deadline.Token);

            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
            {
                return new UpdateFailure(FailureKind.Unreachable, ClientErrorCodes.DownloadFailed, $"{repository.Server} answered {(int)response.StatusCode} for blob {patch.Sha256}.");
            }

            // A server that ignores Range sends everything again: start over rather than append.
            var append = response.StatusCode == HttpStatusCode.PartialContent && have > 0;
            await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);
            await using var file = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write);
            return await CopyBoundedAsync(body, file, append ? have : 0, patch, progress, deadline.Token);
        }
        catch (Exception e) when (e is RepositoryUnreachableException or RepositoryApiException or HttpRequestException or IOException
            || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
        {
            // What arrived stays in the partial file: the next attempt resumes from there.
            return new UpdateFailure(FailureKind.Unreachable, ClientErrorCodes.DownloadFailed, $"{repository.Server}: download of {patch.Sha256} interrupted: {e.Message}");
        }
    }

    private static async Task<UpdateFailure?> CopyBoundedAsync(Stream body, FileStream file, long offset, ManifestPatch patch,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        var buffer = new byte[64 * 1024];
        var received = offset;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellation)) > 0)
        {
            if (received + read > patch.Size)
            {
                return UpdateFailure.Refused(ClientErrorCodes.DownloadTooLarge, $"The repository sent more than the {patch.Size} bytes the manifest declares for {patch.Sha256}.");
            }

            await file.WriteAsync(buffer.AsMemory(0, read), cancellation);
            received += read;
            progress?.Report(new DownloadProgress(patch.Sha256, received, patch.Size));
        }

        await file.FlushAsync(cancellation);
        file.Flush(flushToDisk: true);
        return null;
    }

    private static async Task<string> HashOfAsync(string path, CancellationToken cancellation)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellation));
    }
}
