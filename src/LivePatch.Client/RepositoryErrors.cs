using System.Net;
using System.Text.Json;
using LivePatch.Core.Repository;

namespace LivePatch.Client;

/// <summary>Turns failed calls into <see cref="RepositoryApiException"/> and <see cref="RepositoryUnreachableException"/>.</summary>
internal static class RepositoryErrors
{
    /// <summary>A problem is a short JSON object; reading more than this only lets a hostile server waste memory.</summary>
    public const int MaxProblemBytes = 64 * 1024;

    /// <summary>Refit's exception factory: null for success, else the server's problem as a typed exception.</summary>
    public static async ValueTask<Exception?> FromResponseAsync(HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
        {
            return null;
        }

        var problem = await ReadProblemOrNullAsync(response).ConfigureAwait(false);
        var code = string.IsNullOrWhiteSpace(problem?.Code) ? $"http-{(int)response.StatusCode}" : problem.Code;
        var detail = problem?.Detail ?? problem?.Title ?? $"The server answered {(int)response.StatusCode} {response.ReasonPhrase}.";
        return new RepositoryApiException(response.StatusCode, code, detail);
    }

    /// <summary>Refit's transport exception factory: cancellation by the caller stays cancellation, a refused redirect
    /// (<see cref="RedirectPolicy"/>) stays a <see cref="RepositoryApiException"/>, all else is unreachable.</summary>
    public static Exception FromTransport(HttpRequestMessage request, Exception exception, CancellationToken cancellationToken)
    {
        // The caller's cancellation stays cancellation; a refused redirect is already the server's answer, typed.
        if ((exception is OperationCanceledException && cancellationToken.IsCancellationRequested) || exception is RepositoryApiException)
        {
            return exception;
        }

        var server = request.RequestUri?.GetLeftPart(UriPartial.Authority) ?? "the repository";
        return new RepositoryUnreachableException($"Cannot reach {server}: {Describe(exception)}", exception);
    }

    /// <summary>How many inner exceptions <see cref="Describe"/> follows: TLS and socket failures nest two or three deep.</summary>
    public const int MaxCauseDepth = 8;

    /// <summary>The longest description: enough for a TLS chain, short enough for one log line.</summary>
    public const int MaxDescriptionLength = 1024;

    /// <summary>A one-line reason for a transport failure, with its inner causes: "The SSL connection could not be
    /// established, see inner exception." alone tells an operator nothing about the certificate or protocol at fault.</summary>
    internal static string Describe(Exception exception) => exception switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "the host name does not resolve.",
        OperationCanceledException or TimeoutException or Polly.Timeout.TimeoutRejectedException => "no answer in time (after retries).",
        _ => WithCauses(exception),
    };

    private static string WithCauses(Exception exception)
    {
        var messages = new List<string>();
        for (Exception? e = exception; e is not null && messages.Count < MaxCauseDepth; e = e.InnerException)
        {
            var message = e.Message.ReplaceLineEndings(" ").Trim();

            // A socket error repeats itself one level down ("Connection refused (host:port)" then "Connection refused").
            if (message.Length > 0 && !messages.Any(m => m.Contains(message, StringComparison.Ordinal)))
            {
                messages.Add(message);
            }
        }

        var text = string.Join(" Because: ", messages);
        return text.Length <= MaxDescriptionLength ? text : string.Concat(text.AsSpan(0, MaxDescriptionLength - 1), "…");
    }

    /// <summary>The problem document of an error answer (at most <see cref="MaxProblemBytes"/> read), or null when there is none.</summary>
    internal static async Task<ProblemInfo?> ReadProblemOrNullAsync(HttpResponseMessage response, CancellationToken cancellation = default)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxProblemBytes];
            var length = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellation).ConfigureAwait(false);
            try
            {
                return JsonSerializer.Deserialize(buffer.AsSpan(0, length), RepositoryJsonContext.Default.ProblemInfo);
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
