using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using LivePatch.Server.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LivePatch.Server.Tests;

/// <summary>The OpenAPI document against the endpoints the server actually maps, and the setting that serves it.</summary>
public sealed partial class ApiDescriptionTests : IDisposable
{
    private readonly List<RepositoryFactory> _factories = [];

    public void Dispose()
    {
        foreach (var factory in _factories)
        {
            factory.Dispose();
        }
    }

    [Fact]
    public async Task Document_EveryMappedEndpoint_AppearsWithAResponse()
    {
        var factory = New();
        using var document = await DocumentAsync(factory.CreateClient());
        var paths = document.RootElement.GetProperty("paths");

        var endpoints = DescribedEndpoints(factory).ToList();

        Assert.Contains(endpoints, e => e.Path == "/readyz");
        Assert.True(endpoints.Count >= 20, $"only {endpoints.Count} endpoints found");
        foreach (var (path, method, _) in endpoints)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not in the document");
            Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{method} {path} is not in the document");
            Assert.NotEmpty(operation.GetProperty("responses").EnumerateObject());
        }
    }

    [Fact]
    public async Task Document_SecuredEndpoints_CarryTheBearerRequirementAndNoOthers()
    {
        var factory = New();
        using var document = await DocumentAsync(factory.CreateClient());
        var paths = document.RootElement.GetProperty("paths");

        foreach (var (path, method, secured) in DescribedEndpoints(factory))
        {
            var operation = paths.GetProperty(path).GetProperty(method.ToLowerInvariant());
            var requirement = operation.TryGetProperty("security", out var security)
                ? string.Join(",", security.EnumerateArray().SelectMany(r => r.EnumerateObject()).Select(s => $"{s.Name}[{s.Value.GetArrayLength()}]"))
                : null;
            Assert.True(requirement == (secured ? $"{ApiDescription.BearerScheme}[0]" : null), $"{method} {path}: {requirement}");
            if (secured)
            {
                Assert.True(operation.GetProperty("responses").TryGetProperty("401", out _), $"{method} {path} has no 401");
            }
        }

        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty(ApiDescription.BearerScheme);
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task Document_ErrorResponses_AreProblemsWithTheCodeMember()
    {
        using var document = await DocumentAsync(New().CreateClient());
        var root = document.RootElement;

        var errors = root.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject())
            .SelectMany(o => o.Value.GetProperty("responses").EnumerateObject())
            .Where(r => r.Name[0] == '4' && r.Name != "416")
            .ToList();

        Assert.NotEmpty(errors);
        Assert.All(errors, r => Assert.Equal("#/components/schemas/ProblemDetails",
            r.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString()));
        Assert.Equal("string", root.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails")
            .GetProperty("properties").GetProperty("code").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Document_Publish_DescribesTheMultipartForm()
    {
        using var document = await DocumentAsync(New().CreateClient());
        var root = document.RootElement;

        var body = root.GetProperty("paths").GetProperty("/v1/patches").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        var schema = body.GetProperty("multipart/form-data").GetProperty("schema");
        var form = schema.TryGetProperty("$ref", out var reference)
            ? root.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;

        Assert.Equal(["module", "buildId"], form.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["module", "buildId", "channel", "level", "cve", "severity", "description", "replace"],
            form.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal("binary", form.GetProperty("properties").GetProperty("module").GetProperty("format").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("https://patches.test/lp/")]
    public async Task Document_SpoofedHostHeader_NeverInServers(string? publicUrl)
    {
        var factory = New(new() { ["LivePatch:PublicUrl"] = publicUrl });
        factory.UseKestrel(0);
        factory.StartServer();
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = "attacker.test:8443";

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("attacker.test", text);
        using var document = JsonDocument.Parse(text);
        var servers = document.RootElement.TryGetProperty("servers", out var list) ? list.EnumerateArray().Select(s => s.GetProperty("url").GetString()).ToList() : [];
        Assert.Equal(publicUrl is null ? [] : [publicUrl], servers);
    }

    [Theory]
    [InlineData("Development", null, true)]
    [InlineData("Production", null, false)]
    [InlineData("Production", "true", true)]
    [InlineData("Development", "false", false)]
    public async Task ApiReference_EnvironmentAndSetting_ServedOrNotFound(string environment, string? setting, bool served)
    {
        using var client = New(new() { ["LivePatch:ApiReference"] = setting }, environment).CreateClient();

        var document = await client.GetAsync("/openapi/v1.json");
        var reference = await client.GetAsync("/scalar/");

        Assert.Equal(served ? HttpStatusCode.OK : HttpStatusCode.NotFound, document.StatusCode);
        Assert.Equal(served ? HttpStatusCode.OK : HttpStatusCode.NotFound, reference.StatusCode);
        if (!served)
        {
            await PublishTests.AssertProblemAsync(document, HttpStatusCode.NotFound, "not-found");
        }
    }

    private RepositoryFactory New(Dictionary<string, string?>? settings = null, string environment = "Development")
    {
        var factory = new RepositoryFactory(settings, environment: environment);
        _factories.Add(factory);
        return factory;
    }

    private static async Task<JsonDocument> DocumentAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));

    /// <summary>Every endpoint the server maps, as the document names it (constraints and trailing slashes dropped), except
    /// those excluded from the description (the document itself, the reference UI).</summary>
    private static IEnumerable<(string Path, string Method, bool Secured)> DescribedEndpoints(RepositoryFactory factory) =>
        factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(method =>
                (DocumentPath(e.RoutePattern.RawText!), method, e.Metadata.GetMetadata<IAuthorizeData>() is not null)));

    private static string DocumentPath(string route) => Constraint().Replace(route, "}").TrimEnd('/') is { Length: > 0 } path ? path : "/";

    [GeneratedRegex(":[a-z]+}")]
    private static partial Regex Constraint();
}
