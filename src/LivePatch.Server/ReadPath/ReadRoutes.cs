using Microsoft.AspNetCore.Http.Metadata;

namespace LivePatch.Server.ReadPath;

/// <summary>The route templates of what the middleware answers before routing, as endpoints it sets on the request, so that
/// ASP.NET Core's <c>http.server.request.duration</c> names their route (<c>http.route</c>) exactly as when the endpoints
/// in <c>Api/ReadApi.cs</c> answer: one series per route, whichever code wrote the response.</summary>
/// <remarks>Made once; setting one is a field write on Kestrel's own feature (no allocation). Nothing else reads them: the
/// request is answered and the pipeline after the middleware never runs.</remarks>
internal static class ReadRoutes
{
    public static readonly Endpoint Manifest = Of("/v1/manifests/{channel}/{buildId}");

    public static readonly Endpoint Blob = Of("/v1/blobs/sha256/{hex}");

    private static Endpoint Of(string template) =>
        new(requestDelegate: null, new EndpointMetadataCollection(new RouteDiagnostics(template)), template);

    private sealed class RouteDiagnostics(string route) : IRouteDiagnosticsMetadata
    {
        public string Route => route;
    }
}
