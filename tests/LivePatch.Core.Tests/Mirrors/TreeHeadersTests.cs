using LivePatch.Core.Mirrors;

namespace LivePatch.Core.Tests.Mirrors;

public sealed class TreeHeadersTests
{
    public static TheoryData<string> Documents => new()
    {
        MirrorTree.IndexPath,
        MirrorTree.CoveragePath("stable", "4a"),
        MirrorTree.ManifestPath("stable", "4a5a9b0affb66c437abcd455d2738af879985fa9"),
    };

    [Theory]
    [MemberData(nameof(Documents))]
    public void For_SignedDocument_CmsTypeAndOneMinuteRevalidated(string path)
    {
        var (contentType, cacheControl) = TreeHeaders.For(path);

        Assert.Equal("application/pkcs7-mime; smime-type=signed-data", contentType);
        Assert.Equal("public, max-age=60, must-revalidate", cacheControl);
    }

    [Fact]
    public void For_Blob_OctetStreamAndImmutable()
    {
        var (contentType, cacheControl) = TreeHeaders.For(MirrorTree.BlobPath(new string('a', 64)));

        Assert.Equal("application/octet-stream", contentType);
        Assert.Equal("public, max-age=31536000, immutable", cacheControl);
    }
}
