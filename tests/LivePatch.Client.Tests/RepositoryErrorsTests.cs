using System.Net;
using LivePatch.Core.Repository;
using LivePatch.Testing;

namespace LivePatch.Client.Tests;

public sealed class RepositoryErrorsTests
{
    private static RepositoryClient Client(Uri server) => RepositoryClient.Create(new RepositoryClientOptions
    {
        Server = server,
        ApiKey = "lpk_test",
        MaxRetryAttempts = 2,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        AttemptTimeout = TimeSpan.FromSeconds(10),
    });

    private static ModuleUpload Upload() => new() { FileName = "m.ko", Module = new byte[] { 1, 2, 3 }, BuildIds = [Canned.BuildId] };

    [Fact]
    public async Task Problem_BecomesStatusCodeAndDetail()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(422, "signature-signer-unknown", "The module is signed by a key the repository does not trust.");
        using var client = Client(server.Url);

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.PublishAsync(Upload()));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Status);
        Assert.Equal("signature-signer-unknown", error.Code);
        Assert.Equal("The module is signed by a key the repository does not trust.", error.Detail);
    }

    [Fact]
    public async Task ErrorWithoutProblem_GetsHttpStatusCode()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(404, "<html>not here</html>", "text/html");
        using var client = Client(server.Url);

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.GetPatchAsync(9));

        Assert.Equal("http-404", error.Code);
        Assert.Contains("404", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_5xxThenSuccess_IsRetried()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(503, "unavailable", "Starting.").Reply(500).Reply(200, Canned.Patch());
        using var client = Client(server.Url);

        var patch = await client.Api.GetPatchAsync(7);

        Assert.Equal(7, patch.Id);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Get_4xx_IsNotRetried()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(404, "patch-not-found", "No patch 9.").Reply(200, Canned.Patch());
        using var client = Client(server.Url);

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.GetPatchAsync(9));

        Assert.Equal("patch-not-found", error.Code);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Get_5xxEveryTime_GivesUpWithTheLastProblem()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Reply(502).Reply(502).Problem(503, "unavailable", "Down for maintenance.");
        using var client = Client(server.Url);

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.ListKernelsAsync());

        Assert.Equal(("unavailable", HttpStatusCode.ServiceUnavailable), (error.Code, error.Status));
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Publish_500_IsNotRepeated_TheModuleMayBeStored()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(500, "internal", "Oops.").Reply(201, Canned.Patch());
        using var client = Client(server.Url);

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.PublishAsync(Upload()));

        Assert.Equal(HttpStatusCode.InternalServerError, error.Status);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Publish_503_IsRetried_WithTheWholeModuleAgain()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(503, "unavailable", "Busy.").Reply(201, Canned.Patch());
        using var client = Client(server.Url);

        await client.Api.PublishAsync(Upload());

        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal(new byte[] { 1, 2, 3 }, Assert.Single(r.Files).Bytes));
    }

    [Fact]
    public async Task Promote_429_IsRetried_WithTheBodyAgain()
    {
        await using var server = await FakeRepository.StartAsync();
        server.Problem(429, "rate-limited", "Slow down.").Reply(200, Canned.Patch());
        using var client = Client(server.Url);

        await client.Api.PromoteAsync(7, new PromoteRequest("stable"));

        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Contains("stable", r.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectionRefused_IsUnreachable_AfterRetries()
    {
        using var client = Client(LoopbackPorts.RefusingUrl());

        var error = await Assert.ThrowsAsync<RepositoryUnreachableException>(() => client.Api.PublishAsync(Upload()));

        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_ToString_DoesNotShowTheApiKey()
    {
        var options = new RepositoryClientOptions { Server = new Uri("http://x/"), ApiKey = "lpk_s3cr3t" };

        Assert.DoesNotContain("lpk_s3cr3t", options.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>Transport failures against real sockets: the message carries the inner cause, not "see inner exception".</summary>
public sealed class RepositoryErrorsTransportTests
{
    private static RepositoryClient Client(Uri server) => RepositoryClient.Create(new RepositoryClientOptions
    {
        Server = server,
        MaxRetryAttempts = 0,
        AttemptTimeout = TimeSpan.FromSeconds(10),
    });

    [Fact]
    public async Task Https_ToAPlainHttpServer_NamesTheTlsCause()
    {
        await using var server = await FakeRepository.StartAsync();
        using var client = Client(new UriBuilder(server.Url) { Scheme = "https" }.Uri);

        var error = await Assert.ThrowsAsync<RepositoryUnreachableException>(() => client.Api.ListKernelsAsync());

        var tls = Assert.IsType<HttpRequestException>(error.InnerException);
        Assert.Equal(HttpRequestError.SecureConnectionError, tls.HttpRequestError);
        var cause = Assert.IsType<Exception>(tls.InnerException, exactMatch: false);
        Assert.Contains(cause.Message.Trim(), error.Message, StringComparison.Ordinal);
        Assert.DoesNotMatch("see inner exception\\.$", error.Message);
    }

    [Fact]
    public async Task Https_ToAListenerThatHangsUp_NamesTheTlsCause()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var hangUp = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            socket.Close(); // before any TLS handshake byte
        });
        using var client = Client(new Uri($"https://127.0.0.1:{port}/"));

        var error = await Assert.ThrowsAsync<RepositoryUnreachableException>(() => client.Api.ListKernelsAsync());
        await hangUp;

        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
        Assert.Contains(" Because: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotMatch("see inner exception\\.$", error.Message);
    }

    [Fact]
    public async Task ConnectionRefused_SaysSoOnce()
    {
        using var client = Client(LoopbackPorts.RefusingUrl());

        var error = await Assert.ThrowsAsync<RepositoryUnreachableException>(() => client.Api.ListKernelsAsync());

        Assert.Single(System.Text.RegularExpressions.Regex.Matches(error.Message, "Connection refused"));
    }

    [Fact]
    public void Describe_LongChain_IsBounded()
    {
        Exception chain = new InvalidOperationException(new string('x', 900));
        for (var i = 0; i < 20; i++)
        {
            chain = new IOException($"level {i} " + new string('y', 200), chain);
        }

        var text = RepositoryErrors.Describe(new HttpRequestException(HttpRequestError.SecureConnectionError, "TLS failed.", chain));

        Assert.True(text.Length <= RepositoryErrors.MaxDescriptionLength, text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.EndsWith("…", text, StringComparison.Ordinal);
        Assert.StartsWith("TLS failed. Because: level 19", text, StringComparison.Ordinal);
    }
}
