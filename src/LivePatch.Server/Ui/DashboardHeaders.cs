using Microsoft.Net.Http.Headers;

namespace LivePatch.Server.Ui;

/// <summary>The security headers of every dashboard response.</summary>
public static class DashboardHeaders
{
    /// <summary>No script at all (the pages need none), styles only from the server's own stylesheet, forms only to itself,
    /// and no framing (clickjacking).</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Sets the headers on <paramref name="response"/>; a response that chose its own caching (the stylesheet,
    /// which holds no data) keeps it, every other is <c>no-store</c>: pages show repository data to a signed-in key.</summary>
    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        if (!headers.ContainsKey(HeaderNames.CacheControl))
        {
            headers.CacheControl = "no-store";
            headers.Pragma = "no-cache";
        }
    }

    /// <summary>Middleware: <see cref="Apply"/> just before the response starts, whatever wrote it (a page, a redirect, an
    /// antiforgery refusal).</summary>
    public static Task SetOnStarting(HttpContext context, RequestDelegate next)
    {
        context.Response.OnStarting(() =>
        {
            Apply(context.Response);
            return Task.CompletedTask;
        });
        return next(context);
    }
}
