using LivePatch.Core;

namespace LivePatch.Mirror.S3.Tests;

public sealed class S3LocationTests
{
    [Theory]
    [InlineData("s3://mirror-bucket/lp/prod", "mirror-bucket", "lp/prod")]
    [InlineData("s3://mirror-bucket//lp/prod/", "mirror-bucket", "lp/prod")]
    [InlineData("s3://mirror-bucket", "mirror-bucket", "")]
    [InlineData("s3://mirror-bucket/", "mirror-bucket", "")]
    [InlineData("S3://my.bucket.01/a_b~c", "my.bucket.01", "a_b~c")]
    public void Parse_ValidUrl_BucketAndNormalisedPrefix(string url, string bucket, string prefix)
    {
        var location = S3Location.Parse(url);

        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(prefix, location.Prefix);
    }

    [Theory]
    [InlineData("https://mirror-bucket/lp", "not an S3 location")]
    [InlineData("mirror-bucket/lp", "not an S3 location")]
    [InlineData("s3://", "must be 3 to 63 characters")]
    [InlineData("s3://ab/lp", "must be 3 to 63 characters")]
    [InlineData("s3://Mirror-Bucket/lp", "lowercase letters, digits")]
    [InlineData("s3://mirror_bucket/lp", "lowercase letters, digits")]
    [InlineData("s3://-mirror/lp", "start and end with a letter or digit")]
    [InlineData("s3://mirror../lp", "start and end with a letter or digit")]
    [InlineData("s3://mirror..bucket/lp", "two adjacent dots")]
    [InlineData("s3://192.168.1.10/lp", "IP address")]
    [InlineData("s3://xn--mirror/lp", "reserved 'xn--'")]
    [InlineData("s3://mirror-s3alias/lp", "reserved '-s3alias'")]
    [InlineData("s3://mirror-bucket/lp//prod", "empty, '.' or '..'")]
    [InlineData("s3://mirror-bucket/lp/../prod", "empty, '.' or '..'")]
    [InlineData("s3://mirror-bucket/lp prod", "may hold only letters")]
    [InlineData("s3://mirror-bucket/lp?versionId=1", "no query or fragment")]
    public void Parse_BadUrl_ThrowsS3UrlInvalidNamingTheProblem(string url, string problem)
    {
        var error = Assert.Throws<LivePatchFormatException>(() => S3Location.Parse(url));

        Assert.Same(ErrorCodes.S3UrlInvalid, error.Error);
        Assert.Equal(ErrorCategory.Configuration, error.Error.Category);
        Assert.Contains(problem, error.Message);
        Assert.Contains(url, error.Message);
    }

    [Fact]
    public void Parse_BucketOf63Characters_IsAccepted()
    {
        var bucket = new string('a', 63);

        Assert.Equal(bucket, S3Location.Parse($"s3://{bucket}").Bucket);
        Assert.Throws<LivePatchFormatException>(() => S3Location.Parse($"s3://{bucket}a"));
    }

    [Fact]
    public void Parse_PrefixLongerThanTheLimit_Throws()
    {
        var prefix = string.Join('/', Enumerable.Repeat("abcdefg", S3Location.MaxPrefixLength / 8 + 1));

        var error = Assert.Throws<LivePatchFormatException>(() => S3Location.Parse($"s3://mirror-bucket/{prefix}"));

        Assert.Contains($"longer than {S3Location.MaxPrefixLength}", error.Message);
    }

    [Theory]
    [InlineData("s3://mirror-bucket/lp/prod", "v1/index", "lp/prod/v1/index")]
    [InlineData("s3://mirror-bucket", "v1/index", "v1/index")]
    public void KeyOf_TreePath_IsUnderThePrefixAndBack(string url, string treePath, string key)
    {
        var location = S3Location.Parse(url);

        Assert.Equal(key, location.KeyOf(treePath));
        Assert.Equal(treePath, location.TreePathOf(key));
    }

    [Theory]
    [InlineData("s3://mirror-bucket//lp/prod/", "s3://mirror-bucket/lp/prod")]
    [InlineData("s3://mirror-bucket/", "s3://mirror-bucket")]
    public void ToString_IsTheNormalisedUrl(string url, string normalised) =>
        Assert.Equal(normalised, S3Location.Parse(url).ToString());

    [Theory]
    [InlineData("s3://x", true)]
    [InlineData("S3://x", true)]
    [InlineData("/srv/mirror", false)]
    [InlineData("https://x", false)]
    public void IsS3Url_ByScheme(string text, bool expected) => Assert.Equal(expected, S3Location.IsS3Url(text));
}
