using System.Security.Claims;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Api;

/// <summary>Publishing (authenticated) and listing (anonymous) patches and kernels.</summary>
public static class PatchesApi
{
    public const string PublisherPolicy = "publisher";

    public static IEndpointRouteBuilder MapPatchesApi(this IEndpointRouteBuilder app)
    {
        var maxModuleBytes = app.ServiceProvider.GetRequiredService<IOptions<RepositoryOptions>>().Value.MaxModuleBytes;
        var patches = app.MapGroup("/v1/patches").WithTags("Patches");
        patches.MapPost("/", Publish)
            .RequireAuthorization(PublisherPolicy)
            .DisableAntiforgery() // bearer-key API: no cookies, so no cross-site request forgery
            .WithMetadata(new RequestSizeLimitAttribute(maxModuleBytes + (1 << 20)))
            .WithFormOptions(multipartBodyLengthLimit: maxModuleBytes + (1 << 20), valueCountLimit: PublishValidator.MaxBuildIdsPerPublish + 1000)
            .WithSummary("Publish a signed livepatch module (multipart: 'module' file; buildId, channel, level, cve, severity, description, replace fields).");
        patches.MapGet("/", List).WithSummary("List patches, optionally for one kernel and/or channel.");
        patches.MapGet("/{id:int}", Get).WithSummary("One patch.");
        patches.MapPost("/{id:int}/promote", Promote).RequireAuthorization(PublisherPolicy).WithSummary("Add the patch to another channel.");
        patches.MapPost("/{id:int}/revoke", Revoke).RequireAuthorization(PublisherPolicy).WithSummary("Withdraw a patch; hosts that loaded it remove it.");
        app.MapGet("/v1/kernels", (PatchService service) => TypedResults.Ok(service.Kernels())).WithTags("Patches").WithSummary("Kernels with patches.");
        return app;
    }

    private static async Task<IResult> Publish(HttpRequest request, ClaimsPrincipal user, PatchService service, CancellationToken cancellation)
    {
        if (!request.HasFormContentType)
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.MultipartRequired, "Send multipart/form-data with the module in a part named 'module'."));
        }

        var (form, formProblem) = await ReadFormAsync(request, cancellation);
        if (formProblem is not null)
        {
            return Problems.Result(formProblem);
        }

        if (form!.Files.GetFile("module") is not { } file)
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.ModulePartMissing, "The form has no file part named 'module'."));
        }

        var level = form["level"].ToString();
        if (level.Length > 0 && !int.TryParse(level, out _))
        {
            return Problems.Result(new RepositoryProblem(ProblemCodes.LevelInvalid, $"The level must be a whole number from 1 to {LivePatch.Core.Manifests.ManifestLimits.MaxLevel}."));
        }

        using var buffer = new MemoryStream((int)Math.Min(file.Length, int.MaxValue));
        await file.CopyToAsync(buffer, cancellation);
        var outcome = service.Publish(new PublishRequest
        {
            Module = buffer.ToArray(),
            BuildIds = Values(form, "buildId"),
            Channel = form["channel"].ToString() is { Length: > 0 } channel ? channel : null,
            Level = level.Length > 0 ? int.Parse(level, System.Globalization.CultureInfo.InvariantCulture) : null,
            Cves = Values(form, "cve"),
            Severity = form["severity"].ToString() is { Length: > 0 } severity ? severity : null,
            Description = form["description"].ToString() is { Length: > 0 } description ? description : null,
            Replace = !bool.TryParse(form["replace"].ToString(), out var replace) || replace,
        }, user.Identity?.Name ?? "unknown");
        return outcome.Problem is { } problem ? Problems.Result(problem) : TypedResults.Created($"/v1/patches/{outcome.Value!.Id}", outcome.Value);
    }

    private static async Task<(IFormCollection? Form, RepositoryProblem? Problem)> ReadFormAsync(HttpRequest request, CancellationToken cancellation)
    {
        try
        {
            return (await request.ReadFormAsync(cancellation), null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge);
        }
        catch (InvalidDataException e) when (e.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase))
        {
            return (null, TooLarge); // the multipart body limit set on the endpoint
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            return (null, new RepositoryProblem(ProblemCodes.FormInvalid, $"The multipart form could not be read: {e.Message}"));
        }
    }

    private static RepositoryProblem TooLarge => new(ProblemCodes.ModuleTooLarge, "The upload is larger than this repository accepts.");

    private static List<string> Values(IFormCollection form, string key) =>
        form[key].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    private static IResult List(PatchService service, string? buildId, string? channel) => TypedResults.Ok(service.List(buildId, channel));

    private static IResult Get(int id, PatchService service) =>
        service.GetOrNull(id) is { } patch ? TypedResults.Ok(patch) : Problems.Result(new RepositoryProblem(ProblemCodes.PatchNotFound, $"There is no patch {id}."));

    private static IResult Promote(int id, PromoteRequest body, PatchService service) => ToResult(service.Promote(id, body.Channel));

    private static IResult Revoke(int id, RevokeRequest body, PatchService service) => ToResult(service.Revoke(id, body.Reason));

    private static IResult ToResult(Outcome<PatchInfo> outcome) =>
        outcome.Problem is { } problem ? Problems.Result(problem) : TypedResults.Ok(outcome.Value);
}
