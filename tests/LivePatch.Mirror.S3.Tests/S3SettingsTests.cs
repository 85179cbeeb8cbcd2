using Amazon.Runtime;
using LivePatch.Core;

namespace LivePatch.Mirror.S3.Tests;

public sealed class S3SettingsTests
{
    [Fact]
    public void FromEnvironment_ServiceEndpointAndRegion_PathStyleSignedForTheRegion()
    {
        var settings = S3Settings.FromEnvironment(Variables(
            ("AWS_ENDPOINT_URL", "http://other:1"), ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000"), ("AWS_REGION", "eu-west-3")));

        var config = settings.ToConfig();

        Assert.Equal(new Uri("http://127.0.0.1:9000"), settings.Endpoint);
        Assert.True(config.ForcePathStyle);
        Assert.StartsWith("http://127.0.0.1:9000", config.ServiceURL);
        Assert.Equal("eu-west-3", config.AuthenticationRegion);
        Assert.Equal(RequestChecksumCalculation.WHEN_REQUIRED, config.RequestChecksumCalculation);
    }

    [Fact]
    public void FromEnvironment_GlobalEndpointAndDefaultRegion_AreUsed()
    {
        var settings = S3Settings.FromEnvironment(Variables(("AWS_ENDPOINT_URL", "https://s3.example.net"), ("AWS_DEFAULT_REGION", "ap-south-1")));

        Assert.Equal(new Uri("https://s3.example.net"), settings.Endpoint);
        Assert.Equal("ap-south-1", settings.Region);
    }

    [Fact]
    public void FromEnvironment_CustomEndpointWithoutRegion_SignsForTheDefault()
    {
        var config = S3Settings.FromEnvironment(Variables(("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"))).ToConfig();

        Assert.Equal(S3Settings.DefaultCustomEndpointRegion, config.AuthenticationRegion);
    }

    [Fact]
    public void FromEnvironment_NoEndpoint_AwsVirtualHostedInTheRegion()
    {
        var config = S3Settings.FromEnvironment(Variables(("AWS_REGION", "eu-central-1"))).ToConfig();

        Assert.False(config.ForcePathStyle);
        Assert.Null(config.ServiceURL);
        Assert.Equal("eu-central-1", config.RegionEndpoint?.SystemName);
    }

    [Theory]
    [InlineData("127.0.0.1:9000")]
    [InlineData("ftp://127.0.0.1/")]
    public void FromEnvironment_EndpointNotHttp_ThrowsS3UrlInvalid(string endpoint)
    {
        var error = Assert.Throws<LivePatchFormatException>(() => S3Settings.FromEnvironment(Variables(("AWS_ENDPOINT_URL_S3", endpoint))));

        Assert.Same(ErrorCodes.S3UrlInvalid, error.Error);
        Assert.Contains("AWS_ENDPOINT_URL_S3", error.Message);
    }

    private static Func<string, string?> Variables(params (string Name, string Value)[] variables) =>
        name => variables.Where(v => v.Name == name).Select(v => v.Value).FirstOrDefault();
}
