using System.Net;
using System.Text;

namespace LivePatch.Server.Tests;

/// <summary>Answers no endpoint writes itself: unreadable JSON bodies and unserved paths are problems with a code, never a 500.</summary>
public sealed class RequestProblemsTests : IDisposable
{
    private readonly RepositoryFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    public static TheoryData<string, byte[]> UnreadableBodies()
    {
        var data = new TheoryData<string, byte[]>();
        // Each endpoint with the bad bytes in a field it reads (System.Text.Json skips an unknown member unread).
        (string Url, string Field)[] endpoints = [("/v1/api-keys", "name"), ("/v1/patches/1/promote", "channel"), ("/v1/patches/1/revoke", "reason")];
        foreach (var (url, field) in endpoints)
        {
            data.Add(url, Encoding.UTF8.GetBytes($"{{\"{field}\": ")); // truncated
            data.Add(url, "not json"u8.ToArray());
            data.Add(url, [.. Encoding.UTF8.GetBytes($"{{\"role\": \"admin\", \"{field}\": \"a"), 0xff, 0xfe, .. "\"}"u8]); // invalid UTF-8
            data.Add(url, Encoding.UTF8.GetBytes($"{{\"role\": \"admin\", \"{field}\": \"\\ud800\"}}")); // lone surrogate, escaped
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task JsonEndpoint_UnreadableBody_400RequestInvalid(string url, byte[] body)
    {
        using var client = _factory.CreateClient(_factory.AdminKey);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        var response = await client.PostAsync(url, content);

        await PublishTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "request-invalid");
    }

    [Theory]
    [InlineData("/v1/manifests/stable")]
    [InlineData("/v1/blobs/sha256/")]
    [InlineData("/v1/nothing-here")]
    public async Task UnservedPath_404ProblemWithCode(string url)
    {
        using var client = _factory.CreateClient(apiKey: null);

        await PublishTests.AssertProblemAsync(await client.GetAsync(url), HttpStatusCode.NotFound, "not-found");
    }
}
