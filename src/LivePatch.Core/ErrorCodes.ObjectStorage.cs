namespace LivePatch.Core;

/// <summary>Stable error codes of a mirror in object storage (<c>lpatch mirror sync --to s3://BUCKET/PREFIX</c>);
/// docs/error-codes.md explains each.</summary>
/// <remarks>Defined in Core, like every code, so that one table and one test cover them; the S3 client itself lives in
/// LivePatch.Mirror.S3, which Core does not reference.</remarks>
public static partial class ErrorCodes
{
    // The location (S3Location): the caller's setting is wrong.
    public static readonly ErrorCode S3UrlInvalid = ErrorCode.Define("s3-url-invalid", ErrorCategory.Configuration);

    // No region from the environment nor the SDK's chain, and no endpoint: AWS's S3 cannot be addressed (S3MirrorTarget).
    public static readonly ErrorCode S3RegionMissing = ErrorCode.Define("s3-region-missing", ErrorCategory.Configuration);

    // Answers of the store (S3MirrorTarget). Credentials are the caller's settings; a missing bucket is a thing named that
    // does not exist; a store that cannot be reached, or fails after the SDK's retries, is unreachable (exit 3).
    public static readonly ErrorCode S3CredentialsRejected = ErrorCode.Define("s3-credentials-rejected", ErrorCategory.Configuration);
    public static readonly ErrorCode S3BucketMissing = ErrorCode.Define("s3-bucket-missing", ErrorCategory.NotFound);
    public static readonly ErrorCode S3Unreachable = ErrorCode.Define("s3-unreachable", ErrorCategory.Unreachable);
    public static readonly ErrorCode S3RequestFailed = ErrorCode.Define("s3-request-failed", ErrorCategory.Unreachable);
}
