using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using LivePatch.Core;
using LivePatch.Core.Mirrors;

namespace LivePatch.Mirror.S3;

/// <summary>A mirror's tree in an S3-compatible bucket under a prefix (<c>s3://BUCKET/PREFIX</c>): one object per file
/// of <see cref="MirrorTree"/>, stored with the server's Content-Type and Cache-Control so that the bucket, or a CDN in
/// front of it, can serve hosts directly.</summary>
/// <remarks>A PUT replaces an object atomically (readers get the old object or the new one, never a part) and S3
/// acknowledges it only once stored durably: what <see cref="IMirrorTarget.WriteAsync"/> asks, with no temp key and no
/// rename. Store failures throw <see cref="S3MirrorException"/>.</remarks>
public sealed class S3MirrorTarget : IMirrorTarget, IDisposable
{
    /// <summary>S3's largest ListObjectsV2 page.</summary>
    public const int MaxPageSize = 1000;

    private readonly IAmazonS3 _client;
    private readonly S3Location _location;
    private readonly int _pageSize;

    internal S3MirrorTarget(IAmazonS3 client, S3Location location, int pageSize = MaxPageSize)
    {
        if (pageSize is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, $"a ListObjectsV2 page holds 1 to {MaxPageSize} keys");
        }

        _client = client;
        _location = location;
        _pageSize = pageSize;
    }

    public string Description => _location.ToString();

    /// <summary>Nothing to do: S3 acknowledges each PUT only once stored durably and serves it from then on.</summary>
    public Task FlushAsync(CancellationToken cancellation) => Task.CompletedTask;

    /// <summary>The target for <paramref name="s3Url"/> (<c>s3://BUCKET[/PREFIX]</c>), reached with
    /// <paramref name="settings"/> or, when null, with the standard AWS environment (<see cref="S3Settings.FromProcessEnvironment"/>).
    /// A malformed URL or endpoint throws <see cref="Core.LivePatchFormatException"/> (<c>s3-url-invalid</c>); nothing is
    /// sent until the first read or write.</summary>
    public static S3MirrorTarget Create(string s3Url, S3Settings? settings = null) =>
        Create(S3Location.Parse(s3Url), settings ?? S3Settings.FromProcessEnvironment());

    internal static S3MirrorTarget Create(S3Location location, S3Settings settings, int pageSize = MaxPageSize)
    {
        var config = settings.ToConfig();
        try
        {
            var client = settings.Credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(settings.Credentials, config);
            return new S3MirrorTarget(client, location, pageSize);
        }
        catch (AmazonClientException e) when (settings.Endpoint is null && settings.Region is null)
        {
            // Neither the environment nor the SDK's own chain (the profile's region, instance metadata) gave a region: the SDK
            // refuses to make the client, and AWS's own S3 has no URL without one.
            throw new S3MirrorException(ErrorCodes.S3RegionMissing,
                $"{location}: no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION, or region in the profile's config), or AWS_ENDPOINT_URL_S3 for an S3-compatible store ({e.Message})", e);
        }
    }

    public async Task<byte[]?> ReadOrNullAsync(string path, long maxBytes, CancellationToken cancellation)
    {
        var key = KeyOf(path);
        return await Guarded($"GET {Describe(key)}", cancellation, async () =>
        {
            try
            {
                using var response = await _client.GetObjectAsync(_location.Bucket, key, cancellation);
                return await ReadBoundedAsync(response, path, maxBytes, cancellation);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey" || (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket"))
            {
                return null;
            }
        });
    }

    public async Task<long?> SizeOrNullAsync(string path, CancellationToken cancellation)
    {
        var key = KeyOf(path);
        return await Guarded($"HEAD {Describe(key)}", cancellation, async () =>
        {
            try
            {
                var request = new GetObjectMetadataRequest { BucketName = _location.Bucket, Key = key };
                return (long?)(await _client.GetObjectMetadataAsync(request, cancellation)).ContentLength;
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
            {
                // A HEAD answer has no body, so a missing bucket is a 404 too; the next write then says NoSuchBucket.
                return null;
            }
        });
    }

    public async Task WriteAsync(string path, Stream content, long length, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var key = KeyOf(path);
        var body = await ObjectBody.OfAsync(content, length, cancellation);
        var (contentType, cacheControl) = TreeHeaders.For(path);
        var request = new PutObjectRequest
        {
            BucketName = _location.Bucket,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = contentType,
            // A plain body with Content-Length, signed whole: not every S3-compatible store decodes aws-chunked bodies.
            UseChunkEncoding = false,
        };
        request.Headers.ContentLength = length;
        request.Headers.CacheControl = cacheControl;
        try
        {
            await Guarded($"PUT {Describe(key)}", cancellation, async () => await _client.PutObjectAsync(request, cancellation));
        }
        finally
        {
            if (!ReferenceEquals(body, content))
            {
                await body.DisposeAsync();
            }
        }
    }

    public async Task DeleteAsync(string path, CancellationToken cancellation)
    {
        var key = KeyOf(path);
        await Guarded($"DELETE {Describe(key)}", cancellation, async () =>
        {
            try
            {
                // S3 answers 204 for a key that is not there; some compatible stores answer NoSuchKey.
                return await _client.DeleteObjectAsync(_location.Bucket, key, cancellation);
            }
            catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
            {
                return null;
            }
        });
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var request = new ListObjectsV2Request { BucketName = _location.Bucket, Prefix = KeyOf(prefix), MaxKeys = _pageSize };
        while (true)
        {
            var page = await Guarded($"LIST {Describe(request.Prefix)}", cancellation,
                () => _client.ListObjectsV2Async(request, cancellation));
            foreach (var entry in page.S3Objects ?? [])
            {
                yield return _location.TreePathOf(entry.Key);
            }

            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The whole object, refusing one larger than <paramref name="maxBytes"/> before reading any of its body.</summary>
    private static async Task<byte[]> ReadBoundedAsync(GetObjectResponse response, string path, long maxBytes, CancellationToken cancellation)
    {
        var length = response.ContentLength;
        if (length > maxBytes || length > Array.MaxLength)
        {
            throw new MirrorSourceTooLargeException(path, maxBytes);
        }

        // Exactly the declared length: never past it, and a short body is an I/O error (EndOfStreamException).
        var bytes = new byte[length];
        await response.ResponseStream.ReadExactlyAsync(bytes, cancellation);
        return bytes;
    }

    private string KeyOf(string treePath)
    {
        // Tree paths come from MirrorTree, built from validated parts; anything else is a bug of the caller.
        if (treePath.StartsWith('/') || treePath.Split('/').Any(segment => segment is "." or ".."))
        {
            throw new ArgumentException($"'{treePath}' is not a path of the mirror tree", nameof(treePath));
        }

        return _location.KeyOf(treePath);
    }

    private string Describe(string key) => $"s3://{_location.Bucket}/{key}";

    /// <summary>Runs one S3 call, turning storage failures into <see cref="S3MirrorException"/>.</summary>
    private static async Task<T> Guarded<T>(string operation, CancellationToken cancellation, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not MirrorSourceTooLargeException && S3Failures.TranslateOrNull(e, operation, cancellation) is { } failure)
        {
            throw failure;
        }
    }
}
