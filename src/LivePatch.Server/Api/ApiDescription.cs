using LivePatch.Server.Configuration;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace LivePatch.Server.Api;

/// <summary>The OpenAPI document (<c>/openapi/v1.json</c>) and the browsable reference (<c>/scalar</c>): served only when
/// <c>LivePatch:ApiReference</c> says so (by default in Development), describing every endpoint with its responses, the
/// problem schema, the bearer API key and which operations need it.</summary>
public static class ApiDescription
{
    /// <summary>The security scheme's name in the document: <c>Authorization: Bearer &lt;api key&gt;</c>.</summary>
    public const string BearerScheme = "apiKey";

    public static IServiceCollection AddApiDescription(this IServiceCollection services) => services.AddOpenApi(o =>
    {
        o.AddDocumentTransformer(DescribeDocument);
        o.AddOperationTransformer(RequireKeyWhereAuthorized);
        o.AddOperationTransformer(DescribeRequestBody);
        o.AddSchemaTransformer(AddProblemCode);
    });

    /// <summary>Maps <c>/openapi/v1.json</c> and <c>/scalar</c> when the setting (or the environment) turns them on.</summary>
    public static WebApplication MapApiDescription(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<RepositoryOptions>>().Value.ApiReference ?? app.Environment.IsDevelopment())
        {
            app.MapOpenApi();
            app.MapScalarApiReference(); // browsable API reference at /scalar
        }

        return app;
    }

    /// <summary>Title, the bearer scheme, and <c>servers</c> from <c>LivePatch:PublicUrl</c> alone: the generator would take
    /// them from the request's Host header, which any caller chooses (and a cache in front would then hand to others).</summary>
    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellation)
    {
        var options = context.ApplicationServices.GetRequiredService<IOptions<RepositoryOptions>>().Value;
        document.Info.Title = "LivePatch Repository";
        document.Info.Description = "Signed Linux kernel live patches: anonymous reads (signed manifests, coverage bins, the index, "
            + "module blobs, listings) and API-key writes. Every error is an RFC 9457 problem with a stable 'code' (docs/error-codes.md).";
        document.Servers = options.PublicUrl is { Length: > 0 } url ? [new OpenApiServer { Url = url }] : [];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "lpk_<id>_<secret>",
            Description = "An API key (publisher or admin role): 'Authorization: Bearer lpk_…'. Reads need none.",
        };
        return Task.CompletedTask;
    }

    /// <summary>The operations whose endpoint requires authorization carry the bearer requirement; the others are anonymous.</summary>
    private static Task RequireKeyWhereAuthorized(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
        }

        return Task.CompletedTask;
    }

    /// <summary>The body of an endpoint that reads it itself (<see cref="RequestBodyDescription"/>).</summary>
    private static async Task DescribeRequestBody(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestBodyDescription>().FirstOrDefault() is not { } body)
        {
            return;
        }

        var schema = await context.GetOrCreateSchemaAsync(body.Type, null, cancellation);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType> { [body.ContentType] = new() { Schema = schema } },
        };
    }

    /// <summary>Every problem the server writes carries the stable <c>code</c> member (<see cref="Problems"/>).</summary>
    private static Task AddProblemCode(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellation)
    {
        if (context.JsonTypeInfo.Type == typeof(ProblemDetails))
        {
            schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            schema.Properties["code"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The stable problem code, e.g. 'kernel-not-covered' (docs/api.md, docs/error-codes.md).",
            };
        }

        return Task.CompletedTask;
    }
}

/// <summary>Describes, for the OpenAPI document only, the body of an endpoint that reads it itself: unlike <c>Accepts</c>,
/// it does not make routing answer 415 to another content type, so the endpoint's own problem (with its code) answers.</summary>
public sealed record RequestBodyDescription(Type Type, string ContentType);
