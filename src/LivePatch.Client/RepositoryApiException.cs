using System.Net;

namespace LivePatch.Client;

/// <summary>The repository answered a request with an error: the HTTP status and the problem's stable code and detail.</summary>
/// <remarks>A body that is not a problem with a code (a proxy's error page, say) gets the code <c>http-STATUS</c>.</remarks>
public sealed class RepositoryApiException(HttpStatusCode status, string code, string detail)
    : Exception($"[{code}] {detail}")
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The problem's <c>code</c> member: stable, kebab-case, what scripts match on.</summary>
    public string Code { get; } = code;

    /// <summary>The problem's <c>detail</c> sentence (or a description of the status when there was none).</summary>
    public string Detail { get; } = detail;
}

/// <summary>The repository could not be reached: connection refused, name not resolved, TLS failure or time-out after retries.</summary>
public sealed class RepositoryUnreachableException(string message, Exception innerException)
    : Exception(message, innerException)
{
    /// <summary>Whether <paramref name="exception"/> is a transport failure that reached the caller untyped: Refit turns
    /// those of calls that return a value into this exception, but lets those of calls that return nothing (deleting an API
    /// key, sending a report) through as they are.</summary>
    public static bool IsUntypedTransportFailure(Exception exception) =>
        exception is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException;

    /// <summary>The same failure as the typed calls report it: "Cannot reach SERVER: reason".</summary>
    public static RepositoryUnreachableException From(Uri server, Exception transport) =>
        new($"Cannot reach {server.GetLeftPart(UriPartial.Authority)}: {RepositoryErrors.Describe(transport)}", transport);
}
