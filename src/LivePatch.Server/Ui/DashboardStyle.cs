using System.Security.Cryptography;

namespace LivePatch.Server.Ui;

/// <summary>The dashboard's one stylesheet (Ui/dashboard.css, embedded in the server): served by the server itself, so
/// nothing is fetched from elsewhere and the Content-Security-Policy can say <c>style-src 'self'</c>.</summary>
public static class DashboardStyle
{
    public const string Path = "/ui/dashboard.css";

    private static readonly byte[] Bytes = Load();

    /// <summary>The URL pages link: versioned by content, so that it can be cached for good and an upgrade is seen at once.</summary>
    public static string Url { get; } = $"{Path}?v={Convert.ToHexStringLower(SHA256.HashData(Bytes))[..16]}";

    /// <summary>The stylesheet; it holds no data, so unlike the pages it may be cached by anyone.</summary>
    public static IResult Serve(HttpResponse response)
    {
        response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return TypedResults.Bytes(Bytes, "text/css; charset=utf-8");
    }

    private static byte[] Load()
    {
        using var stream = typeof(DashboardStyle).Assembly.GetManifestResourceStream("LivePatch.Server.Ui.dashboard.css")
            ?? throw new InvalidOperationException("The server was built without Ui/dashboard.css.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
