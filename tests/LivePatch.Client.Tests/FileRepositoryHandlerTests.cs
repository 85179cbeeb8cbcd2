using System.Net;
using LivePatch.Client.Host;
using LivePatch.Core.Mirrors;

namespace LivePatch.Client.Tests;

public sealed class FileRepositoryHandlerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-file-repo-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task GetBlobAsync_FileRepository_ServesTheFileAndRanges()
    {
        var sha256 = new string('a', 64);
        Directory.CreateDirectory(Path.Combine(_root, "v1", "blobs", "sha256"));
        await File.WriteAllBytesAsync(Path.Combine(_root, MirrorTree.BlobPath(sha256)), [1, 2, 3, 4, 5]);
        using var client = RepositoryClient.Create(new RepositoryClientOptions { Server = new Uri("file://" + _root), MaxRetryAttempts = 0 });

        using var whole = await client.Api.GetBlobAsync(sha256);
        using var rest = await client.Api.GetBlobAsync(sha256, "bytes=3-");

        Assert.Equal("file://" + _root + "/", client.Server.ToString());
        Assert.Equal([1, 2, 3, 4, 5], await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, rest.StatusCode);
        Assert.Equal(3, rest.Content.Headers.ContentRange?.From);
        Assert.Equal([4, 5], await rest.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task GetManifestAsync_MissingOrOutsideTheTree_NotFound()
    {
        await File.WriteAllTextAsync(Path.Combine(_root, "secret"), "not part of the tree");
        using var client = RepositoryClient.Create(new RepositoryClientOptions { Server = new Uri("file://" + Path.Combine(_root, "tree")), MaxRetryAttempts = 0 });

        using var missing = await client.Api.GetManifestAsync("stable", Canned.BuildId);
        using var escape = await client.Api.GetManifestAsync("..", "secret");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, escape.StatusCode);
    }

    [Theory]
    [InlineData("file:///media/patches", true)]
    [InlineData("https://patches.example.com", true)]
    [InlineData("file://server/share", false)]
    [InlineData("/media/patches", false)]
    [InlineData("ftp://patches.example.com", false)]
    public void IsRepositoryUrl_Scheme_AcceptsHttpAndLocalFolders(string url, bool accepted) =>
        Assert.Equal(accepted, ClientConfiguration.IsRepositoryUrl(url));
}
