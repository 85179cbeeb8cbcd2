using System.Net;

namespace LivePatch.Client;

/// <summary>Follows a repository's redirects within limits the client sets, not the ones a mirror would like:
/// GET/HEAD only, at most <see cref="MaxRedirects"/> hops, http(s) only, never from https down to http.</summary>
/// <remarks>
/// The handler's own automatic redirects are turned off (<see cref="RepositoryClient.Create"/>) because they cannot
/// say why a hop was refused and would carry headers this client wants to control. Repositories and mirrors are not
/// trusted: a redirect is only a hint where the same bytes are, and everything fetched is verified afterwards anyway,
/// so the limits are about not being led somewhere the host should not talk to (a downgrade to plain HTTP, another
/// scheme, a loop). A redirect that is not followed is a <see cref="RepositoryApiException"/> with the code
/// <see cref="RefusedCode"/>, never a 3xx handed on as if it were an answer.
/// </remarks>
public sealed class RedirectPolicy : DelegatingHandler
{
    /// <summary>More hops than this is a loop or a maze, not a mirror setup (browsers allow 20; a repository needs 1 or 2).</summary>
    public const int MaxRedirects = 5;

    /// <summary>The stable code of a refused redirect (docs/error-codes.md).</summary>
    public const string RefusedCode = "redirect-refused";

    /// <summary>Why following <paramref name="from"/> to <paramref name="to"/> is refused, or null when it is allowed.</summary>
    /// <remarks><paramref name="to"/> must already be resolved against <paramref name="from"/> (absolute).</remarks>
    public static string? RefusalOrNull(Uri from, Uri to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (!to.IsAbsoluteUri || to.Scheme is not ("http" or "https"))
        {
            return "only http:// and https:// are followed";
        }

        return from.Scheme == Uri.UriSchemeHttps && to.Scheme == Uri.UriSchemeHttp ? "https is never followed down to http" : null;
    }

    /// <summary>The redirect statuses that carry a Location to follow (RFC 9110 §15.4); 300, 304 and 305 are not among them.</summary>
    public static bool IsFollowable(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var current = request;
        var response = await base.SendAsync(current, cancellationToken).ConfigureAwait(false);
        for (var hops = 0; IsFollowable(response.StatusCode); hops++)
        {
            var next = NextRequest(current, response, hops);
            response.Dispose();
            if (!ReferenceEquals(current, request))
            {
                current.Dispose(); // a hop this handler made; the caller's request stays the caller's
            }

            current = next;
            response = await base.SendAsync(current, cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    /// <summary>The request for the hop <paramref name="response"/> points to, or a refusal thrown as
    /// <see cref="RepositoryApiException"/> (the response is disposed first).</summary>
    private static HttpRequestMessage NextRequest(HttpRequestMessage current, HttpResponseMessage response, int hops)
    {
        var from = current.RequestUri!;
        var location = response.Headers.Location;
        var to = location is null ? null : location.IsAbsoluteUri ? location : new Uri(from, location);
        var reason = current.Method != HttpMethod.Get && current.Method != HttpMethod.Head ? $"a {current.Method} is never redirected"
            : to is null ? "the answer has no Location"
            : hops >= MaxRedirects ? $"more than {MaxRedirects} redirects"
            : RefusalOrNull(from, to);
        if (reason is null)
        {
            return Copy(current, to!);
        }

        var status = response.StatusCode;
        response.Dispose();
        throw new RepositoryApiException(status, RefusedCode,
            $"Redirect from {from} to {to?.ToString() ?? "(none)"} refused: {reason}.");
    }

    /// <summary>The same GET/HEAD with the same headers (Range, If-None-Match stay), except that the API key never
    /// travels to another origin (RFC 9110 §15.4: the client decides what a redirected request carries).</summary>
    private static HttpRequestMessage Copy(HttpRequestMessage current, Uri to)
    {
        var next = new HttpRequestMessage(current.Method, to) { Version = current.Version, VersionPolicy = current.VersionPolicy };
        foreach (var header in current.Headers)
        {
            next.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        next.Headers.Host = null; // the new URI's authority, not the old one's
        if (!SameOrigin(current.RequestUri!, to))
        {
            next.Headers.Authorization = null;
        }

        return next;
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;
}
