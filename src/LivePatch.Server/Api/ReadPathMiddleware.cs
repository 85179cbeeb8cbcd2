using LivePatch.Core.Kernel;
using LivePatch.Server.Configuration;
using LivePatch.Server.Manifests;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace LivePatch.Server.Api;

/// <summary>The hot read path, answered before routing: a manifest or a whole blob straight from memory, or a 304.</summary>
/// <remarks>
/// A fleet's hourly polls are almost all manifest GETs and 304s (DESIGN "Scale": ~17k requests/s for a million hosts),
/// so these skip routing, endpoint filters and result objects and write precomputed bytes and headers. Anything
/// else (an unknown channel, a malformed build ID, a Range request) falls through to the endpoints in
/// <see cref="ReadApi"/>, which validate and answer with ProblemDetails the same way as before. HEAD is answered here
/// too, as a static mirror would.
/// </remarks>
public sealed class ReadPathMiddleware(RequestDelegate next, ManifestService manifests, BlobCache blobs, IOptions<RepositoryOptions> options)
{
    private const string ManifestPrefix = "/v1/manifests/";
    private const string BlobPrefix = "/v1/blobs/sha256/";
    private const string ManifestCacheControl = "public, max-age=60, must-revalidate";
    private const string BlobCacheControl = "public, max-age=31536000, immutable";
    private readonly HashSet<string> _channels = new(options.Value.Channels, StringComparer.Ordinal);

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) || request.Headers.Range.Count > 0)
        {
            return next(context);
        }

        var path = request.Path.Value ?? "";
        if (path.StartsWith(ManifestPrefix, StringComparison.Ordinal) && ManifestOrNull(path.AsSpan(ManifestPrefix.Length)) is { } manifest)
        {
            return WriteAsync(context, manifest.Bytes, manifest.ETag, ReadApi.CmsContentType, ManifestCacheControl);
        }

        if (path.StartsWith(BlobPrefix, StringComparison.Ordinal) && blobs.GetOrNull(path[BlobPrefix.Length..]) is { } blob)
        {
            return WriteAsync(context, blob.Bytes, blob.ETag, "application/octet-stream", BlobCacheControl);
        }

        return next(context);
    }

    private ServedDocument? ManifestOrNull(ReadOnlySpan<char> rest)
    {
        var slash = rest.IndexOf('/');
        if (slash <= 0)
        {
            return null;
        }

        var channel = rest[..slash].ToString();
        var buildId = rest[(slash + 1)..].ToString();
        // Only the canonical form: the endpoint explains anything else with a ProblemDetails.
        return _channels.Contains(channel) && BuildId.TryParse(buildId, out var id) && id.Hex == buildId ? manifests.Get(channel, buildId) : null;
    }

    private static Task WriteAsync(HttpContext context, byte[] body, string etag, string contentType, string cacheControl)
    {
        var response = context.Response;
        var headers = response.Headers;
        headers.ETag = etag;
        headers.CacheControl = cacheControl;
        if (Matches(context.Request.Headers.IfNoneMatch, etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body, 0, body.Length, context.RequestAborted);
    }

    /// <summary>RFC 9110 §13.1.2: a list of entity tags or <c>*</c>; weak comparison is allowed for If-None-Match.</summary>
    public static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Count == 0)
        {
            return false;
        }

        if (ifNoneMatch.Count == 1 && string.Equals(ifNoneMatch[0], etag, StringComparison.Ordinal))
        {
            return true; // what every lpatch poll sends: no need to parse a list
        }

        foreach (var value in ifNoneMatch)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var tag in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var bare = tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag;
                if (bare == "*" || bare == etag)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
