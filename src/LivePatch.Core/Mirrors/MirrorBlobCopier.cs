using System.Security.Cryptography;

namespace LivePatch.Core.Mirrors;

/// <summary>Copies the blobs a plan names that the target lacks: streamed from the source into a staged file, never more
/// than the declared size plus one byte, hashed on the way; only a file of exactly that size and SHA-256 reaches the target.</summary>
/// <remarks>A blob the target already holds at the declared size is skipped without reading it: blobs are content-addressed
/// and every one in the target was verified like this before it was written, so checking the size is enough and a sync of a
/// large tree does not read every module back.</remarks>
internal sealed class MirrorBlobCopier(MirrorIo io, MirrorStaging staging)
{
    public async Task CopyAsync(IReadOnlyDictionary<string, long> blobs, CancellationToken cancellation)
    {
        foreach (var (sha256, size) in blobs.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            var path = MirrorTree.BlobPath(sha256);
            if (await io.TargetSizeAsync(path, cancellation).ConfigureAwait(false) == size)
            {
                io.Skipped(MirrorFileKind.Blob);
                continue;
            }

            var staged = await ReceiveAsync(path, sha256, size, cancellation).ConfigureAwait(false);
            try
            {
                await using var verified = new FileStream(staged, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
                await io.WriteAsync(MirrorFileKind.Blob, path, verified, size, cancellation).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(staged);
            }
        }
    }

    /// <summary>The blob in a staged file, verified; a wrong size or hash is refused and the file removed.</summary>
    private async Task<string> ReceiveAsync(string path, string sha256, long size, CancellationToken cancellation)
    {
        var source = await io.OpenSourceAsync(path, cancellation).ConfigureAwait(false)
            ?? throw new MirrorRefusal(ErrorCodes.MirrorSourceIncomplete, $"{io.Source.Description} has no {path}, which a manifest names.");
        var staged = staging.NewFile();
        try
        {
            long received;
            string hash;
            await using (source.ConfigureAwait(false))
            await using (var file = AtomicFile.CreateNew(staged, AtomicFile.OwnerOnly))
            {
                (received, hash) = await CopyBoundedAsync(source, file, size + 1, path, cancellation).ConfigureAwait(false);
            }

            if (received != size || hash != sha256)
            {
                throw new MirrorRefusal(ErrorCodes.MirrorBlobMismatch, $"{io.Source.Description}: {path} is not the blob its manifest names " +
                    $"({(received > size ? $"more than {size}" : received.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes" +
                    $"{(received > size ? "" : $" with SHA-256 {hash}")}, expected {size} bytes with {sha256}).");
            }

            return staged;
        }
        catch
        {
            File.Delete(staged);
            throw;
        }
    }

    /// <summary>Copies at most <paramref name="limit"/> bytes, hashing them; a failing read is the source's failure.</summary>
    private async Task<(long Received, string Sha256)> CopyBoundedAsync(Stream source, Stream file, long limit, string path,
        CancellationToken cancellation)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long received = 0;
        while (received < limit)
        {
            int read;
            try
            {
                read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - received)), cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException || (e is OperationCanceledException && !cancellation.IsCancellationRequested))
            {
                throw new MirrorRefusal(ErrorCodes.MirrorSourceUnreachable, $"{io.Source.Description}: {path}: {e.Message}");
            }

            if (read == 0)
            {
                break;
            }

            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellation).ConfigureAwait(false);
            received += read;
        }

        return (received, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
