using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using LivePatch.Core;

namespace LivePatch.Mirror.S3;

/// <summary>Where and how to reach S3, from the standard AWS environment: <c>AWS_ENDPOINT_URL_S3</c> or
/// <c>AWS_ENDPOINT_URL</c> for an S3-compatible store (then path-style addressing), <c>AWS_REGION</c> or
/// <c>AWS_DEFAULT_REGION</c>; credentials and anything unset here come from the SDK's own chain (environment, profiles,
/// SSO, container and instance roles).</summary>
public sealed record S3Settings
{
    /// <summary>Region used to sign requests to a custom endpoint when none is set: S3-compatible stores accept any.</summary>
    public const string DefaultCustomEndpointRegion = "us-east-1";

    /// <summary>A custom endpoint (MinIO, Ceph, s3rver, another cloud's S3 API), or null for AWS's own.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The region, or null to let the SDK resolve it (profile, instance metadata).</summary>
    public string? Region { get; init; }

    /// <summary>Fixed credentials (tests), or null for the SDK's default chain.</summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>Reads the settings through <paramref name="environment"/> (a variable's value or null; tests pass their
    /// own); an endpoint that is not an absolute http(s) URL is the caller's mistake (<c>s3-url-invalid</c>).</summary>
    public static S3Settings FromEnvironment(Func<string, string?> environment)
    {
        var endpointName = NonEmpty(environment("AWS_ENDPOINT_URL_S3")) is null ? "AWS_ENDPOINT_URL" : "AWS_ENDPOINT_URL_S3";
        var endpoint = NonEmpty(environment(endpointName));
        Uri? uri = null;
        if (endpoint is not null && (!Uri.TryCreate(endpoint, UriKind.Absolute, out uri) || uri.Scheme is not ("http" or "https")))
        {
            throw new LivePatchFormatException(ErrorCodes.S3UrlInvalid, $"{endpointName}='{endpoint}' is not an http:// or https:// URL");
        }

        return new S3Settings
        {
            Endpoint = uri,
            Region = NonEmpty(environment("AWS_REGION")) ?? NonEmpty(environment("AWS_DEFAULT_REGION")),
        };
    }

    /// <summary>The process's own environment.</summary>
    public static S3Settings FromProcessEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>The SDK's configuration for these settings.</summary>
    /// <remarks>Checksums only when an operation requires them: the SDK's default (since 4.0) sends PUT bodies as
    /// aws-chunked with a trailing CRC, which several S3-compatible stores (s3rver among them) store verbatim. Our objects
    /// are verified by SHA-256 and signatures before they are written and again by every host that reads them.</remarks>
    public AmazonS3Config ToConfig()
    {
        var config = new AmazonS3Config
        {
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (Endpoint is not null)
        {
            // Path-style (endpoint/bucket/key): custom stores rarely have a wildcard DNS name per bucket.
            config.ServiceURL = Endpoint.ToString();
            config.ForcePathStyle = true;
            config.AuthenticationRegion = Region ?? DefaultCustomEndpointRegion;
        }
        else if (Region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(Region);
        }

        return config;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
