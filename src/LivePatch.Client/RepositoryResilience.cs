using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace LivePatch.Client;

/// <summary>Retry and time-out pipelines for repository calls: all transient failures for safe requests, only
/// failures that prove nothing was processed for POST.</summary>
/// <remarks>
/// GET and DELETE are idempotent (RFC 9110 §9.2.2), so 5xx, 408, 429, time-outs and connection errors are retried as the
/// standard resilience handler does. A POST that timed out or got a 500/502/504 may have been carried out (a patch
/// published, a key created), so repeating it blindly could do it twice; it is retried only when the connection was
/// never made or the server said it did not take the request (429, 503). Should a publish still be repeated after it
/// was stored, the server refuses the duplicate with <c>duplicate-module</c>, which callers can report as such.
/// 4xx other than 408/429 are never retried: the same request would get the same answer.
/// </remarks>
public static class RepositoryResilience
{
    /// <summary>The pipeline for one request method: total time-out, then retries (none when
    /// <see cref="RepositoryClientOptions.MaxRetryAttempts"/> is 0), then the per-attempt time-out.</summary>
    public static ResiliencePipeline<HttpResponseMessage> Build(RepositoryClientOptions options, HttpMethod method)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetryAttempts);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>().AddTimeout(options.TotalTimeout);

        // Polly validates MaxRetryAttempts as 1 or more and throws at Build: 0 has to mean "no retry strategy at all",
        // or a configuration saying "do not retry" would fail every request before sending it.
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(RetryOptions(options, method));
        }

        return builder.AddTimeout(options.AttemptTimeout).Build();
    }

    private static HttpRetryStrategyOptions RetryOptions(RepositoryClientOptions options, HttpMethod method)
    {
        var idempotent = method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Delete;
        return new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = options.MaxRetryAttempts,
            Delay = options.RetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = args => ValueTask.FromResult(
                idempotent ? HttpClientResiliencePredicates.IsTransient(args.Outcome) : NothingWasProcessed(args.Outcome)),
        };
    }

    /// <summary>True when the failure shows the server did not act on the request, so repeating it is harmless.</summary>
    internal static bool NothingWasProcessed(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException e } => e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
            or HttpRequestError.SecureConnectionError,
        { Result: { } response } => response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable,
        _ => false,
    };
}
