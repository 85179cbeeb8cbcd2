namespace LivePatch.Core;

/// <summary>What kind of failure an <see cref="ErrorCode"/> is: it alone decides lpatch's exit code and the server's HTTP status.</summary>
/// <remarks>Callers map a category through <see cref="ErrorCategories"/>, never a code's spelling.</remarks>
public enum ErrorCategory
{
    /// <summary>A security or verification check refused the input (a signature, manifest, signer): exit 1, HTTP 422.</summary>
    Refused,

    /// <summary>Usage, malformed or unreadable input: exit 2, HTTP 400.</summary>
    Invalid,

    /// <summary>The caller's settings are wrong (a URL, a key file, a config file): exit 2, HTTP 400.</summary>
    Configuration,

    /// <summary>No or an unknown API key: exit 2, HTTP 401.</summary>
    Unauthenticated,

    /// <summary>The API key's role may not do this: exit 2, HTTP 403.</summary>
    Forbidden,

    /// <summary>The thing named does not exist: exit 2, HTTP 404.</summary>
    NotFound,

    /// <summary>The request contradicts what is already stored: exit 2, HTTP 409.</summary>
    Conflict,

    /// <summary>The input exceeds a size limit: exit 2, HTTP 413.</summary>
    TooLarge,

    /// <summary>No repository could be reached: exit 3, HTTP 502.</summary>
    Unreachable,

    /// <summary>The patch loader failed: exit 4, HTTP 500.</summary>
    Loader,

    /// <summary>Another lpatch run holds the lock: exit 5, HTTP 503.</summary>
    Busy,

    /// <summary>Too many requests: try again later (the answer's Retry-After says when): exit 3, HTTP 429.</summary>
    RateLimited,

    /// <summary>A bug: exit 6, HTTP 500.</summary>
    Internal,
}

/// <summary>The one place the exit codes and HTTP statuses of <see cref="ErrorCategory"/> come from (docs/error-codes.md).</summary>
public static class ErrorCategories
{
    /// <summary>lpatch's process exit code for a failure of <paramref name="category"/> (README "Exit codes").</summary>
    public static int ExitCode(ErrorCategory category) => category switch
    {
        ErrorCategory.Refused => 1,
        ErrorCategory.Invalid or ErrorCategory.Configuration or ErrorCategory.Unauthenticated or ErrorCategory.Forbidden
            or ErrorCategory.NotFound or ErrorCategory.Conflict or ErrorCategory.TooLarge => 2,
        ErrorCategory.Unreachable or ErrorCategory.RateLimited => 3, // nothing wrong with the request: come back later
        ErrorCategory.Loader => 4,
        ErrorCategory.Busy => 5,
        ErrorCategory.Internal => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, null),
    };

    /// <summary>The HTTP status the repository answers a problem of <paramref name="category"/> with (docs/api.md).</summary>
    public static int HttpStatus(ErrorCategory category) => category switch
    {
        ErrorCategory.Refused => 422,
        ErrorCategory.Invalid or ErrorCategory.Configuration => 400,
        ErrorCategory.Unauthenticated => 401,
        ErrorCategory.Forbidden => 403,
        ErrorCategory.NotFound => 404,
        ErrorCategory.Conflict => 409,
        ErrorCategory.TooLarge => 413,
        ErrorCategory.Unreachable => 502,
        ErrorCategory.Loader or ErrorCategory.Internal => 500,
        ErrorCategory.Busy => 503,
        ErrorCategory.RateLimited => 429,
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, null),
    };

    /// <summary>The category a bare HTTP status stands for, for answers whose code is unknown (a proxy's error page).</summary>
    public static ErrorCategory FromHttpStatus(int status) => status switch
    {
        422 => ErrorCategory.Refused,
        429 => ErrorCategory.RateLimited,
        >= 500 => ErrorCategory.Unreachable, // still failing after retries: no working repository
        _ => ErrorCategory.Invalid,
    };
}
