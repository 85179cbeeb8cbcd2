using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using LivePatch.Core;

namespace LivePatch.Mirror.S3;

/// <summary>Turns what the SDK throws into an <see cref="S3MirrorException"/> with a stable code and a message an operator
/// can act on (no SDK type names, no stack trace).</summary>
internal static class S3Failures
{
    /// <summary>S3 error codes that mean the credentials are missing, wrong, expired or not allowed.</summary>
    private static readonly HashSet<string> CredentialCodes = new(StringComparer.Ordinal)
    {
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken",
        "TokenRefreshRequired", "AllAccessDisabled", "AuthorizationHeaderMalformed",
    };

    /// <summary>The exception to throw for <paramref name="failure"/> during <paramref name="operation"/> (for example
    /// "PUT s3://bucket/prefix/v1/index"), or null when it is not a storage failure (a bug or a cancellation: rethrow).</summary>
    public static S3MirrorException? TranslateOrNull(Exception failure, string operation, CancellationToken cancellation) =>
        failure switch
        {
            OperationCanceledException when cancellation.IsCancellationRequested => null,
            AmazonS3Exception s3 => FromAnswer(s3, operation),
            _ when IsNetwork(failure) => new(ErrorCodes.S3Unreachable, $"{operation}: the store could not be reached: {Innermost(failure).Message}", failure),
            OperationCanceledException => new(ErrorCodes.S3Unreachable, $"{operation}: no answer in time", failure),
            AmazonClientException when IsMissingCredentials(failure) =>
                new(ErrorCodes.S3CredentialsRejected, $"{operation}: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE): {failure.Message}", failure),
            AmazonServiceException service => new(ErrorCodes.S3RequestFailed, $"{operation}: {service.Message}", failure),
            _ => null,
        };

    private static S3MirrorException FromAnswer(AmazonS3Exception answer, string operation)
    {
        var status = (int)answer.StatusCode;
        var what = $"{answer.ErrorCode ?? "no error code"} (HTTP {status})";
        if (answer.ErrorCode is { } code && CredentialCodes.Contains(code) || answer.StatusCode == HttpStatusCode.Forbidden)
        {
            return new(ErrorCodes.S3CredentialsRejected, $"{operation}: the store refused the credentials: {what}: {answer.Message}", answer);
        }

        if (answer.ErrorCode == "NoSuchBucket")
        {
            return new(ErrorCodes.S3BucketMissing, $"{operation}: no such bucket at this endpoint: {what}", answer);
        }

        return new(ErrorCodes.S3RequestFailed, $"{operation}: the store answered {what}: {answer.Message}", answer);
    }

    /// <summary>The SDK has no type for "no credentials found" (its message lists the providers it tried) nor for
    /// "AWS_PROFILE names a profile that is in no config file" (<c>Unable to find the "NAME" profile.</c>), so the message it is.</summary>
    private static bool IsMissingCredentials(Exception failure) =>
        failure.Message.Contains("credential", StringComparison.OrdinalIgnoreCase)
        || failure.Message.Contains("profile", StringComparison.OrdinalIgnoreCase);

    private static bool IsNetwork(Exception failure)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { StatusCode: null } or SocketException)
            {
                return true;
            }
        }

        return false;
    }

    private static Exception Innermost(Exception failure)
    {
        var e = failure;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
