using LivePatch.Server.ReadPath;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace LivePatch.Server.Api;

/// <summary>The responses an endpoint declares beyond its typed results: problems (whose status depends on the code), the
/// API key's 401 and 403, and the read path's signed bytes, 304 and ranges.</summary>
internal static class ApiResponses
{
    private static readonly string[] ProblemContentType = ["application/problem+json"];

    /// <summary>Problem answers with these statuses (<see cref="Problems"/>: the code's category decides the status).</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params int[] statuses) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ProblemContentType));
        }

        return builder;
    }

    /// <summary>Needs an API key with a role <paramref name="policy"/> allows: 401 <c>unauthenticated</c> without one, 403
    /// <c>forbidden</c> for another role.</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder, string policy) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy).ProducesProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    /// <summary>A manifest, coverage bin or the index: the signed bytes, or 304 for the current ETag.</summary>
    public static RouteHandlerBuilder ProducesSignedDocument(this RouteHandlerBuilder builder) =>
        builder.Produces<Stream>(StatusCodes.Status200OK, ReadHeaders.CmsContentType).Produces(StatusCodes.Status304NotModified);

    /// <summary>Module bytes: whole, a range, 304 for the ETag, 416 for a range past the end.</summary>
    public static RouteHandlerBuilder ProducesBlob(this RouteHandlerBuilder builder) =>
        builder.Produces<Stream>(StatusCodes.Status200OK, ReadHeaders.BlobContentType)
            .Produces<Stream>(StatusCodes.Status206PartialContent, ReadHeaders.BlobContentType)
            .Produces(StatusCodes.Status304NotModified)
            .Produces(StatusCodes.Status416RangeNotSatisfiable);
}
