using System.Net;
using System.Net.Http.Headers;
using LivePatch.Core.Mirrors;

namespace LivePatch.Client;

/// <summary>Answers the read path of a repository from a tree in a folder (a <c>file://</c> repository: a synced mirror on a
/// removable medium or a shared file system), as a static web server over it would: 200 with the file, 404 when it is not
/// there, so a missing manifest is answered by its coverage bin exactly as over HTTP.</summary>
/// <remarks>Only GET and HEAD of the tree's four shapes (<see cref="MirrorTree.IsTreePath"/>) are answered; the file is
/// resolved under the root by <see cref="MirrorDirectory"/>. <c>Range: bytes=N-</c> is honoured (206), as the downloader
/// resumes with it. Bodies are streamed: what is read is bounded by the caller, as for HTTP.</remarks>
public sealed class FileRepositoryHandler(string root) : HttpMessageHandler
{
    private readonly MirrorDirectory _tree = new(root);

    /// <summary>The base address a <c>file://</c> repository's HttpClient gets (HttpClient sends only http and https); messages
    /// show the <c>file://</c> URL instead.</summary>
    public static readonly Uri SyntheticBase = new("http://file-repository.invalid/");

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = Uri.UnescapeDataString(request.RequestUri?.AbsolutePath.TrimStart('/') ?? "");
        if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Head)
        {
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.MethodNotAllowed) { RequestMessage = request });
        }

        FileStream? file;
        try
        {
            file = MirrorTree.IsTreePath(path) ? _tree.OpenOrNull(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HttpRequestException($"{_tree.Root}/{path}: {e.Message}", e);
        }

        return Task.FromResult(file is null ? new HttpResponseMessage(HttpStatusCode.NotFound) { RequestMessage = request, Content = new ByteArrayContent([]) }
            : Answer(request, file));
    }

    private static HttpResponseMessage Answer(HttpRequestMessage request, FileStream file)
    {
        var length = file.Length;
        var range = request.Headers.Range is { Unit: "bytes", Ranges.Count: 1 } r ? r.Ranges.First() : null;
        var from = range is { From: { } start, To: null } && start > 0 && start < length ? start : 0;
        file.Seek(from, SeekOrigin.Begin);
        HttpContent content = request.Method == HttpMethod.Head ? new ByteArrayContent([]) : new StreamContent(file);
        if (request.Method == HttpMethod.Head)
        {
            file.Dispose();
        }

        content.Headers.ContentLength = length - from;
        var response = new HttpResponseMessage(from > 0 ? HttpStatusCode.PartialContent : HttpStatusCode.OK) { RequestMessage = request, Content = content };
        if (from > 0)
        {
            content.Headers.ContentRange = new ContentRangeHeaderValue(from, length - 1, length);
        }

        return response;
    }
}
