using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using LivePatch.Core;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LivePatch.Client.Tests.Updates;

/// <summary>A whole repository on 127.0.0.1 (real Kestrel, real HTTP) that signs its manifests in memory and can attack the
/// host: tamper, truncate, replay, mix and match, sign with the wrong key, expire, send without end, corrupt or cut off modules,
/// fail, be slow. Knobs are plain properties; a test sets them between runs. Coverage bins: RepositorySimulator.Coverage.cs.</summary>
public sealed partial class RepositorySimulator : IAsyncDisposable
{
    public const string DefaultRepositoryId = "lp-sim";

    /// <summary>The server gives up an endless answer after this, whether or not the client hung up.</summary>
    public static readonly TimeSpan EndlessLimit = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SimulatorRequest> _requests = new();
    private readonly Lock _renderLock = new();
    private (string Key, byte[] Signed)? _rendered;
    private int _failuresLeft;
    private TaskCompletionSource<bool> _endlessEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RepositorySimulator(WebApplication app, SimulatorPki pki)
    {
        _app = app;
        Pki = pki;
        Signers = [pki.ManifestSigner];
    }

    public SimulatorPki Pki { get; }

    public Uri Url { get; private set; } = null!;

    // What the manifest says.
    public DateTimeOffset Now { get; set; } = SimulatorPki.Now;
    public string RepositoryId { get; set; } = DefaultRepositoryId;
    public string Channel { get; set; } = "stable";
    public string BuildId { get; set; } = ModuleFixtures.BuildId;
    public ulong Version { get; set; } = 1;
    public DateTimeOffset? Issued { get; set; }
    public DateTimeOffset? Expires { get; set; }
    public List<ManifestPatch> Patches { get; } = [];
    public List<RevokedPatch> Revoked { get; } = [];

    // How it is signed and served.
    public IReadOnlyList<SigningIdentity> Signers { get; set; }
    public ManifestAttack ManifestAttack { get; set; }

    /// <summary>Bytes served as the manifest instead of a fresh rendering: a replay of something signed earlier.</summary>
    public byte[]? Replay { get; set; }

    public BlobAttack BlobAttack { get; set; }

    /// <summary>Write this many bytes of a blob, then drop the connection.</summary>
    public int? DropBlobAfter { get; set; }

    public bool HonourRange { get; set; } = true;

    /// <summary>Answer a Range request with 206 for the whole blob (Content-Range from 0): a broken or hostile mirror.</summary>
    public bool WrongContentRange { get; set; }

    /// <summary>Answer manifest requests with <see cref="ManifestProblemStatus"/> and a problem document carrying this code
    /// (e.g. <c>unknown-channel</c>).</summary>
    public string? ManifestProblem { get; set; }

    public int ManifestProblemStatus { get; set; } = StatusCodes.Status404NotFound;

    /// <summary>Wait this long before answering anything (cut short when the client hangs up).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Completes when an endless answer stops: true when the client hung up, false when the server-side limit struck.</summary>
    /// <remarks>A byte count would not tell: once the client is gone, Kestrel accepts writes as no-ops until it notices.</remarks>
    public Task<bool> EndlessEnded => _endlessEnded.Task;

    public IReadOnlyList<SimulatorRequest> Requests => [.. _requests];

    public int ManifestRequests => Requests.Count(r => r.Path.StartsWith("/v1/manifests/", StringComparison.Ordinal));

    public int BlobRequests => Requests.Count(r => r.Path.StartsWith("/v1/blobs/", StringComparison.Ordinal));

    public static async Task<RepositorySimulator> StartAsync(SimulatorPki pki)
    {
        var simulator = new RepositorySimulator(LoopbackApp.CreateBuilder().Build(), pki);
        simulator._app.MapGet("/v1/manifests/{channel}/{buildId}", simulator.ServeManifestAsync);
        simulator._app.MapGet("/v1/blobs/sha256/{hex}", simulator.ServeBlobAsync);
        simulator._app.MapGet("/v1/coverage/{channel}/{prefix}", simulator.ServeCoverageBinAsync);
        simulator.Url = await LoopbackApp.StartAsync(simulator._app);
        return simulator;
    }

    /// <summary>Offers a fixture module at a level: stores the blob and lists it with its real SHA-256 and size.</summary>
    public ManifestPatch Publish(ModuleFixture module, int level, string name = "lp_sample", string? signer = null,
        DateTimeOffset? published = null, bool replace = false)
    {
        _blobs[module.Sha256] = module.Bytes;
        var patch = new ManifestPatch
        {
            Name = name,
            Level = level,
            Sha256 = module.Sha256,
            Size = module.Size,
            Signer = signer ?? module.KeyId ?? "00:00",
            Replace = replace,
            Cves = [$"CVE-2026-{1000 + level}"],
            Published = published ?? Now.AddDays(-2),
        };
        Patches.Add(patch);
        return patch;
    }

    /// <summary>Withdraws a published patch: it stays listed, and is named under <c>revoked</c>.</summary>
    public void Revoke(ManifestPatch patch) => Revoked.Add(new RevokedPatch
    {
        Name = patch.Name, Level = patch.Level, Sha256 = patch.Sha256, Reason = "breaks the host", RevokedAt = Now,
    });

    /// <summary>Answers the next <paramref name="times"/> requests (manifest or blob) with <paramref name="status"/>.</summary>
    public void Fail(int status, int times = int.MaxValue)
    {
        FailStatus = status;
        Volatile.Write(ref _failuresLeft, times);
    }

    public int FailStatus { get; private set; }

    /// <summary>The signed manifest as it is served now (the same bytes until a knob changes): what an attacker can record.</summary>
    public byte[] SignedManifest()
    {
        var json = Render(CurrentManifest());
        var key = Convert.ToHexString(SHA256.HashData(json)) + string.Join(",", Signers.Select(s => s.Certificate.Thumbprint));
        lock (_renderLock)
        {
            if (_rendered is not { } rendered || rendered.Key != key)
            {
                // Signed once per content, like the real server pre-renders: the ETag stays put between polls.
                rendered = (key, SignedContent.Sign(json, LivePatchOids.ManifestContentType, Signers, Now));
                _rendered = rendered;
            }

            return rendered.Signed;
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>The manifest's JSON without <see cref="ManifestSerializer"/>'s rules: a compromised or buggy signer can sign what
    /// the real server refuses to publish (a level of int.MaxValue, a date in 9999), and the host must refuse it itself.</summary>
    private static byte[] Render(Manifest manifest) => JsonSerializer.SerializeToUtf8Bytes(manifest, LivePatchJsonContext.Default.Manifest);

    private Manifest CurrentManifest() => new()
    {
        Schema = Manifest.CurrentSchema,
        Repository = RepositoryId,
        Channel = Channel,
        BuildId = BuildId,
        KernelRelease = ModuleFixtures.KernelRelease,
        Version = Version,
        Issued = Issued ?? Now.AddHours(-1),
        Expires = Expires ?? Now.AddDays(7),
        Patches = [.. Patches],
        Revoked = [.. Revoked],
    };

    private async Task ServeManifestAsync(HttpContext context)
    {
        if (await RefuseAsync(context))
        {
            return;
        }

        if (ManifestProblem is { } code)
        {
            Log(context, ManifestProblemStatus);
            context.Response.StatusCode = ManifestProblemStatus;
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsync($$"""{"title":"{{code}}","status":{{ManifestProblemStatus}},"detail":"no such channel","code":"{{code}}"}""");
            return;
        }

        if (!Covered || WithholdManifest)
        {
            await AnswerNotCoveredAsync(context);
            return;
        }

        if (ManifestAttack == ManifestAttack.Endless)
        {
            await SendEndlessAsync(context);
            return;
        }

        await WriteSignedAsync(context, Replay ?? Attacked(SignedManifest()));
    }

    /// <summary>Signed bytes as the real server and a static mirror serve them: strong ETag, If-None-Match answered with 304.</summary>
    private async Task WriteSignedAsync(HttpContext context, byte[] signed)
    {
        var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(signed))[..32]}\"";
        if (context.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            Log(context, StatusCodes.Status304NotModified);
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        Log(context, StatusCodes.Status200OK);
        context.Response.ContentType = "application/pkcs7-mime";
        context.Response.Headers.ETag = etag;
        context.Response.ContentLength = signed.Length;
        await context.Response.Body.WriteAsync(signed, context.RequestAborted);
    }

    private byte[] Attacked(byte[] signed)
    {
        switch (ManifestAttack)
        {
            case ManifestAttack.Tamper:
                return Tampered(signed, Render(CurrentManifest()));
            case ManifestAttack.Truncate:
                return signed[..(signed.Length / 2)];
            default:
                return signed;
        }
    }

    /// <summary>One byte of the signed JSON itself flipped, so the CMS still decodes and only the digest can tell.</summary>
    private static byte[] Tampered(byte[] signed, byte[] json)
    {
        var at = signed.AsSpan().IndexOf(json);
        var tampered = signed.ToArray();
        tampered[at + (json.Length / 2)] ^= 0x01;
        return tampered;
    }

    private async Task SendEndlessAsync(HttpContext context)
    {
        Log(context, StatusCodes.Status200OK);
        context.Response.ContentType = "application/pkcs7-mime";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        limit.CancelAfter(EndlessLimit);
        var chunk = new byte[16 * 1024];
        Array.Fill(chunk, (byte)0x30);
        try
        {
            while (!limit.IsCancellationRequested)
            {
                await context.Response.Body.WriteAsync(chunk, limit.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client hung up (what a good client does) or the server-side limit struck.
        }

        _endlessEnded.TrySetResult(context.RequestAborted.IsCancellationRequested);
        context.Abort();
    }

    private async Task ServeBlobAsync(HttpContext context, string hex)
    {
        if (await RefuseAsync(context))
        {
            return;
        }

        if (!_blobs.TryGetValue(hex, out var stored))
        {
            Log(context, StatusCodes.Status404NotFound);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var blob = BlobAttack switch
        {
            BlobAttack.Corrupt => Flipped(stored, stored.Length / 2),
            BlobAttack.Oversize => [.. stored, .. new byte[4096]],
            _ => stored,
        };
        var from = HonourRange ? RangeStartOrNull(context.Request.Headers.Range.ToString(), blob.Length) : null;
        if (WrongContentRange && from is not null)
        {
            Log(context, StatusCodes.Status206PartialContent);
            context.Response.StatusCode = StatusCodes.Status206PartialContent;
            context.Response.ContentLength = blob.Length;
            context.Response.Headers.ContentRange = $"bytes 0-{blob.Length - 1}/{blob.Length}";
            await context.Response.Body.WriteAsync(blob, context.RequestAborted);
            return;
        }
        var body = blob.AsMemory((int)(from ?? 0));
        Log(context, from is null ? StatusCodes.Status200OK : StatusCodes.Status206PartialContent);
        context.Response.StatusCode = from is null ? StatusCodes.Status200OK : StatusCodes.Status206PartialContent;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = body.Length;
        if (from is not null)
        {
            context.Response.Headers.ContentRange = $"bytes {from}-{blob.Length - 1}/{blob.Length}";
        }

        if (DropBlobAfter is { } cut && cut < body.Length)
        {
            await context.Response.Body.WriteAsync(body[..cut], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(100, context.RequestAborted); // let the client read what was sent before the connection goes
            context.Abort();
            return;
        }

        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>Applies <see cref="Delay"/> and <see cref="Fail"/>; true when the request was answered that way.</summary>
    private async Task<bool> RefuseAsync(HttpContext context)
    {
        if (Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                Log(context, 0); // the client gave up waiting
                return true;
            }
        }

        if (Interlocked.Decrement(ref _failuresLeft) < 0)
        {
            Interlocked.Increment(ref _failuresLeft);
            return false;
        }

        Log(context, FailStatus);
        context.Response.StatusCode = FailStatus;
        return true;
    }

    /// <summary>The N of <c>bytes=N-</c>, when it lies inside the blob; anything else is answered in full.</summary>
    private static long? RangeStartOrNull(string range, long length) =>
        range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
            && long.TryParse(range["bytes=".Length..^1], out var from) && from >= 0 && from < length ? from : null;

    private static byte[] Flipped(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0xFF;
        return copy;
    }

    private void Log(HttpContext context, int status)
    {
        var headers = context.Request.Headers;
        _requests.Enqueue(new SimulatorRequest(context.Request.Path.Value ?? "",
            headers.Range.Count > 0 ? headers.Range.ToString() : null,
            headers.IfNoneMatch.Count > 0 ? headers.IfNoneMatch.ToString() : null, status));
    }
}
