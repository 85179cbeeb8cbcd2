using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LivePatch.Testing;

/// <summary>A stand-in repository server on 127.0.0.1 (real Kestrel, real HTTP) that records every request and
/// answers with replies queued by the test, in order; with none queued it answers 404 with a problem.</summary>
/// <remarks>Used by the client and CLI tests, which need canned answers rather than the real server's.</remarks>
public sealed class FakeRepository : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<CannedReply> _replies = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private FakeRepository(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<FakeRepository> StartAsync()
    {
        var fake = new FakeRepository(LoopbackApp.CreateBuilder().Build());
        fake._app.Run(fake.HandleAsync);
        fake.Url = await LoopbackApp.StartAsync(fake._app);
        return fake;
    }

    public FakeRepository Reply(int status, string? json = null, string contentType = "application/json") =>
        Reply(status, json is null ? null : System.Text.Encoding.UTF8.GetBytes(json), contentType);

    /// <summary>Queues an answer with a binary body (a signed manifest or coverage bin).</summary>
    public FakeRepository Reply(int status, byte[]? body, string contentType)
    {
        _replies.Enqueue(new CannedReply(status, body, contentType));
        return this;
    }

    public FakeRepository Problem(int status, string code, string detail) => Reply(status,
        $$"""{"type":"https://lpatch.dev/problems/{{code}}","title":"Refused","status":{{status}},"detail":"{{detail}}","code":"{{code}}"}""",
        "application/problem+json");

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        _requests.Enqueue(await RecordedRequest.ReadAsync(context.Request));
        var reply = _replies.TryDequeue(out var next) ? next
            : new CannedReply(404, """{"status":404,"code":"not-found","detail":"No reply queued."}"""u8.ToArray(), "application/problem+json");
        context.Response.StatusCode = reply.Status;
        if (reply.Body is not null)
        {
            context.Response.ContentType = reply.ContentType;
            await context.Response.Body.WriteAsync(reply.Body);
        }
    }

    private sealed record CannedReply(int Status, byte[]? Body, string ContentType);
}

/// <summary>One request as the fake server received it.</summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string Query,
    string? Authorization,
    IReadOnlyDictionary<string, string[]> Form,
    IReadOnlyList<RecordedFile> Files,
    string Body,
    string? UserAgent = null)
{
    public static async Task<RecordedRequest> ReadAsync(HttpRequest request)
    {
        var form = new Dictionary<string, string[]>();
        var files = new List<RecordedFile>();
        var body = "";
        if (request.HasFormContentType)
        {
            var read = await request.ReadFormAsync();
            foreach (var field in read)
            {
                form[field.Key] = [.. field.Value.Select(v => v ?? "")];
            }

            foreach (var file in read.Files)
            {
                using var copy = new MemoryStream();
                await file.CopyToAsync(copy);
                files.Add(new RecordedFile(file.Name, file.FileName, copy.ToArray()));
            }
        }
        else
        {
            body = await new StreamReader(request.Body).ReadToEndAsync();
        }

        string? authorization = request.Headers.Authorization.Count > 0 ? request.Headers.Authorization.ToString() : null;
        return new RecordedRequest(request.Method, request.Path, request.QueryString.Value ?? "", authorization, form, files, body, request.Headers.UserAgent.ToString());
    }
}

/// <summary>A file part of a multipart request.</summary>
public sealed record RecordedFile(string Name, string FileName, byte[] Bytes);
