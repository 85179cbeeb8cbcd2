using System.Net;
using System.Text;
using LivePatch.Core.Repository;
using Microsoft.AspNetCore.Http;

namespace LivePatch.Client.Tests;

public sealed class RedirectPolicyTests
{
    private const string ManifestPath = "v1/manifests/stable/0123456789abcdef";

    private static RepositoryClient Client(Uri server) => RepositoryClient.Create(new RepositoryClientOptions
    {
        Server = server,
        ApiKey = "lpk_test",
        MaxRetryAttempts = 0,
        AttemptTimeout = TimeSpan.FromSeconds(10),
    });

    private static Task Manifest(HttpContext context)
    {
        context.Response.ContentType = "application/pkcs7-mime";
        return context.Response.WriteAsync("signed manifest");
    }

    [Theory]
    [InlineData("https://a.example/x", "http://a.example/x")]
    [InlineData("https://a.example/x", "file:///etc/passwd")]
    [InlineData("http://a.example/x", "ftp://a.example/x")]
    [InlineData("http://a.example/x", "gopher://a.example/x")]
    public void RefusalOrNull_DowngradeOrOtherScheme_Refuses(string from, string to)
    {
        Assert.NotNull(RedirectPolicy.RefusalOrNull(new Uri(from), new Uri(to)));
    }

    [Theory]
    [InlineData("http://a.example/x", "https://b.example/y")]
    [InlineData("http://a.example/x", "http://b.example:8080/y")]
    [InlineData("https://a.example/x", "https://b.example/y")]
    public void RefusalOrNull_HttpOrUpgrade_Allows(string from, string to)
    {
        Assert.Null(RedirectPolicy.RefusalOrNull(new Uri(from), new Uri(to)));
    }

    [Fact]
    public async Task SendAsync_HttpsRedirectedToHttp_RefusedWithBothUrls()
    {
        using var invoker = new HttpMessageInvoker(new RedirectPolicy
        {
            InnerHandler = new Answering(HttpStatusCode.Found, "http://mirror.example/v1/index"),
        });

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() =>
            invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, "https://patches.example/v1/index"), CancellationToken.None));

        Assert.Equal(RedirectPolicy.RefusedCode, error.Code);
        Assert.Contains("https://patches.example/v1/index", error.Detail, StringComparison.Ordinal);
        Assert.Contains("http://mirror.example/v1/index", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetManifest_RedirectToFile_Refused()
    {
        await using var server = await LoopbackServer.StartAsync(LoopbackServer.Redirect(302, "file:///etc/passwd"));
        using var client = Client(server.Url);

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.GetManifestAsync("stable", "0123456789abcdef"));

        Assert.Equal((RedirectPolicy.RefusedCode, HttpStatusCode.Found), (error.Code, error.Status));
        Assert.Contains("file:///etc/passwd", error.Detail, StringComparison.Ordinal);
        Assert.Contains(new Uri(server.Url, ManifestPath).ToString(), error.Detail, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task GetIndex_RedirectLoop_StopsAfterFiveHops()
    {
        await using var server = await LoopbackServer.StartAsync(LoopbackServer.Redirect(307, "/v1/index?again"));
        using var client = Client(server.Url);

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.GetIndexAsync());

        Assert.Equal(RedirectPolicy.RefusedCode, error.Code);
        Assert.Equal(1 + RedirectPolicy.MaxRedirects, server.Requests.Count);
        Assert.All(server.Requests.Skip(1), r => Assert.Equal("/v1/index?again", r.PathAndQuery)); // relative Location resolved
    }

    [Fact]
    public async Task GetManifest_RedirectToAnotherPort_FollowedWithConditionalHeader()
    {
        await using var mirror = await LoopbackServer.StartAsync(Manifest);
        await using var server = await LoopbackServer.StartAsync(LoopbackServer.Redirect(301, new Uri(mirror.Url, ManifestPath).ToString()));
        using var client = Client(server.Url);

        using var response = await client.Api.GetManifestAsync("stable", "0123456789abcdef", "\"v1\"");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("signed manifest", await response.Content.ReadAsStringAsync());
        var followed = Assert.Single(mirror.Requests);
        Assert.Equal(("/" + ManifestPath, "\"v1\""), (followed.PathAndQuery, followed.IfNoneMatch));
    }

    [Fact]
    public async Task GetBlob_RedirectToAnotherPort_KeepsRange()
    {
        await using var mirror = await LoopbackServer.StartAsync(context => context.Response.WriteAsync("rest"));
        await using var server = await LoopbackServer.StartAsync(LoopbackServer.Redirect(302, new Uri(mirror.Url, "blobs/x").ToString()));
        using var client = Client(server.Url);

        using var response = await client.Api.GetBlobAsync(new string('a', 64), "bytes=100-");

        Assert.Equal("bytes=100-", Assert.Single(mirror.Requests).Range);
    }

    [Fact]
    public async Task AuthenticatedGet_RedirectToAnotherOrigin_DropsTheApiKey()
    {
        await using var mirror = await LoopbackServer.StartAsync(context => context.Response.WriteAsync("[]"));
        await using var server = await LoopbackServer.StartAsync(LoopbackServer.Redirect(302, new Uri(mirror.Url, "v1/api-keys").ToString()));
        using var client = Client(server.Url);

        await client.Api.ListApiKeysAsync();

        Assert.Equal("Bearer lpk_test", Assert.Single(server.Requests).Authorization);
        Assert.Null(Assert.Single(mirror.Requests).Authorization);
    }

    [Fact]
    public async Task AuthenticatedGet_RedirectOnTheSameOrigin_KeepsTheApiKey()
    {
        var first = true;
        await using var server = await LoopbackServer.StartAsync(context =>
        {
            if (!first)
            {
                return context.Response.WriteAsync("[]");
            }

            first = false;
            return LoopbackServer.Redirect(308, "/v2/api-keys")(context);
        });
        using var client = Client(server.Url);

        await client.Api.ListApiKeysAsync();

        Assert.Equal(["Bearer lpk_test", "Bearer lpk_test"], server.Requests.Select(r => r.Authorization));
        Assert.Equal("/v2/api-keys", server.Requests[1].PathAndQuery);
    }

    [Fact]
    public async Task Post_Redirected_RefusedNotTakenAsSuccess()
    {
        await using var server = await LoopbackServer.StartAsync(LoopbackServer.Redirect(307, "/elsewhere"));
        using var client = Client(server.Url);

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.PromoteAsync(7, new PromoteRequest("stable")));

        Assert.Equal(RedirectPolicy.RefusedCode, error.Code);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Get_RedirectWithoutLocation_Refused()
    {
        await using var server = await LoopbackServer.StartAsync(context =>
        {
            context.Response.StatusCode = 302;
            return Task.CompletedTask;
        });
        using var client = Client(server.Url);

        var error = await Assert.ThrowsAsync<RepositoryApiException>(() => client.Api.GetIndexAsync());

        Assert.Equal(RedirectPolicy.RefusedCode, error.Code);
    }

    /// <summary>An inner handler that answers every request with one status and Location, without a network.</summary>
    private sealed class Answering(HttpStatusCode status, string location) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status)
            {
                RequestMessage = request,
                Headers = { Location = new Uri(location) },
                Content = new ByteArrayContent(Encoding.ASCII.GetBytes("moved")),
            });
    }
}
