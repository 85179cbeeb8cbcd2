using System.Security.Claims;
using LivePatch.Core.Repository;
using LivePatch.Server.Audit;
using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.Http.HttpResults;
using LivePatch.Server.Telemetry;
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
        var maxBatchBytes = app.ServiceProvider.GetRequiredService<IOptions<RepositoryOptions>>().Value.MaxBatchBytes;
        var patches = app.MapGroup("/v1/patches").WithTags("Patches");
        patches.MapPost("/", Publish)
            .RequireApiKey(PublisherPolicy)
            .DisableAntiforgery() // bearer-key API: no cookies, so no cross-site request forgery
            .WithMetadata(new RequestSizeLimitAttribute(maxModuleBytes + (1 << 20)))
            .WithFormOptions(multipartBodyLengthLimit: maxModuleBytes + (1 << 20), valueCountLimit: PublishValidator.MaxBuildIdsPerPublish + 1000)
            .WithMetadata(new RequestBodyDescription(typeof(PublishForm), "multipart/form-data"))
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict,
                StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Publish a signed livepatch module for kernel builds (multipart form; checks and codes: docs/api.md, Writes).");
        patches.MapPost("/batch", PublishBatch)
            .RequireApiKey(PublisherPolicy)
            .DisableAntiforgery()
            .WithMetadata(new RequestSizeLimitAttribute(maxBatchBytes))
            .WithFormOptions(multipartBodyLengthLimit: maxBatchBytes, valueCountLimit: PatchService.MaxPatchesPerBatch + 16,
                valueLengthLimit: MaxBatchDescriptionChars)
            .WithMetadata(new RequestBodyDescription(typeof(PublishBatchForm), "multipart/form-data"))
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict,
                StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Publish many signed livepatch modules, each for its own kernels, in one request: all or none (docs/api.md, Batch publish).");
        patches.MapGet("/", List).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("A page of patches in id order, optionally of one kernel and/or channel (limit, after: docs/api.md).");
        patches.MapGet("/{id:int}", Get).ProducesProblems(StatusCodes.Status404NotFound).WithSummary("One patch.");
        patches.MapPost("/{id:int}/promote", Promote).RequireApiKey(PublisherPolicy)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary("Add the patch to another channel.");
        patches.MapPost("/{id:int}/revoke", Revoke).RequireApiKey(PublisherPolicy)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary("Withdraw a patch; hosts that loaded it remove it.");
        patches.MapDelete("/{id:int}", Delete).RequireApiKey(ApiKeysApi.AdminPolicy).ProducesProblems(StatusCodes.Status404NotFound)
            .WithSummary("Delete a patch published in error (admin): gone from manifests without a revocation; its module file goes when unused.");
        app.MapGet("/v1/kernels", Kernels).WithTags("Patches").ProducesProblems(StatusCodes.Status400BadRequest)
            .WithSummary("A page of the kernels with patches, in build ID order (limit, after: docs/api.md).");
        return app;
    }

    /// <summary>Reads the form, publishes, then counts the outcome; the audit record is stored with the publish, or on its
    /// own for a refusal before the writer (the form, the module's checks).</summary>
    private static async Task<Results<Created<PatchInfo>, ProblemHttpResult>> Publish(HttpContext context, PatchService service, AuditTrail audit, RepositoryMetrics metrics,
        IOptions<RepositoryOptions> options, CancellationToken cancellation)
    {
        var (request, formProblem) = await ReadPublishAsync(context.Request, cancellation);
        var publisher = context.User.Identity?.Name ?? "unknown";
        var actor = AuditActor.Of(context);
        var audited = audit.ForWrite<PatchInfo>(outcome => new AuditEvent(AuditAction.Publish, actor, outcome.Problem?.Code ?? AuditEvent.Ok)
        {
            PatchId = outcome.Value?.Id,
            Channel = outcome.Value?.Channels[0] ?? ChannelOrNull(request, options.Value),
            BuildIds = request?.BuildIds.Count,
            Target = outcome.Value is { } patch ? $"{patch.Name} level {patch.Level}" : null,
        });
        var outcome = audited.Complete(formProblem is not null ? new Outcome<PatchInfo>(null, formProblem)
            : await WriterThread.Run(() => service.Publish(request!, publisher, audited)));
        metrics.Published(outcome.Problem?.Code ?? RepositoryMetrics.Accepted);
        return outcome.Problem is { } problem ? Problems.Result(problem) : TypedResults.Created($"/v1/patches/{outcome.Value!.Id}", outcome.Value);
    }

    /// <summary>The batch's description: 1000 patches, each with a description of 4096 characters and a few build IDs and CVEs.</summary>
    private const int MaxBatchDescriptionChars = 8 * 1024 * 1024;

    /// <summary>Reads the form, publishes the batch (every patch or none), then counts the outcome once per patch (or once for
    /// a refusal); one audit record for the batch, stored with it or on its own for a refusal before the writer.</summary>
    private static async Task<Results<Created<PublishedBatch>, ProblemHttpResult>> PublishBatch(HttpContext context, PatchService service, AuditTrail audit,
        RepositoryMetrics metrics, CancellationToken cancellation)
    {
        var (batch, formProblem) = await ReadBatchAsync(context.Request, cancellation);
        var publisher = context.User.Identity?.Name ?? "unknown";
        var actor = AuditActor.Of(context);
        var audited = audit.ForWrite<PublishedBatch>(outcome => new AuditEvent(AuditAction.PublishBatch, actor, outcome.Problem?.Code ?? AuditEvent.Ok)
        {
            BuildIds = batch?.Sum(p => p.Request.BuildIds.Count),
            Target = outcome.Value is { Patches: [var first, .., var last] } published ? $"{published.Patches.Count} patches, ids {first.Id} to {last.Id}"
                : outcome.Value is { Patches: [var only] } ? $"1 patch, id {only.Id}"
                : batch is not null ? $"{batch.Count} patches" : null,
        });
        var outcome = audited.Complete(formProblem is not null ? new Outcome<PublishedBatch>(null, formProblem)
            : await WriterThread.Run(() => service.PublishBatch(batch!, publisher, audited)));
        if (outcome.Value is { } stored)
        {
            foreach (var _ in stored.Patches)
            {
                metrics.Published(RepositoryMetrics.Accepted);
            }

            return TypedResults.Created("/v1/patches", stored);
        }

        metrics.Published(outcome.Problem!.Code);
        return Problems.Result(outcome.Problem);
    }

    /// <summary>The batch form: its JSON description, each patch's module part found by file name; every part the form holds
    /// must be named by a patch, and no two parts may share a file name.</summary>
    private static async Task<(List<BatchedPublish>? Batch, RepositoryProblem? Problem)> ReadBatchAsync(HttpRequest request, CancellationToken cancellation)
    {
        if (!request.HasFormContentType)
        {
            return (null, new RepositoryProblem(ProblemCodes.MultipartRequired,
                "Send multipart/form-data: the batch as JSON in a field named 'batch', each module in a file part named 'module'."));
        }

        var (form, formProblem) = await ReadFormAsync(request, cancellation, BatchTooLarge);
        if (formProblem is not null)
        {
            return (null, formProblem);
        }

        if (form!["batch"] is not [{ } json])
        {
            return (null, new RepositoryProblem(ProblemCodes.BatchInvalid, form.Files.GetFile("batch") is not null
                ? "The batch came as a file part; send it as a field named 'batch' (curl -F 'batch=<batch.json', not 'batch=@batch.json')."
                : "The form needs exactly one field named 'batch': the batch as JSON."));
        }

        // Kestrel refuses a larger body as it arrives (the endpoint's request size limit); a host without that limit reads it all.
        var maxBatchBytes = request.HttpContext.RequestServices.GetRequiredService<IOptions<RepositoryOptions>>().Value.MaxBatchBytes;
        if (form.Files.Sum(file => file.Length) + json.Length > maxBatchBytes)
        {
            return (null, BatchTooLarge(request));
        }

        var utf8 = System.Text.Encoding.UTF8.GetBytes(json);
        // Counted before the JSON is built: a million '{}' patches fit the field's 8 MiB.
        if (LivePatch.Core.JsonArrays.HasMoreThan(utf8, "patches"u8, PatchService.MaxPatchesPerBatch))
        {
            return (null, new RepositoryProblem(ProblemCodes.TooManyPatches, $"One batch may hold at most {PatchService.MaxPatchesPerBatch} patches; split it."));
        }

        PublishBatch? description;
        try
        {
            description = System.Text.Json.JsonSerializer.Deserialize(utf8, RepositoryJsonContext.Default.PublishBatch);
        }
        catch (System.Text.Json.JsonException e)
        {
            return (null, new RepositoryProblem(ProblemCodes.BatchInvalid, $"The 'batch' field is not a batch: {e.Message}"));
        }

        if (description is not { IsComplete: true, Patches: var patches })
        {
            return (null, new RepositoryProblem(ProblemCodes.BatchInvalid, "The 'batch' field is not a batch: every patch needs 'module' and 'buildIds', and no value may be null."));
        }

        var files = new Dictionary<string, IFormFile>(StringComparer.Ordinal);
        foreach (var file in form.Files)
        {
            if (file.Name != "module")
            {
                return (null, new RepositoryProblem(ProblemCodes.BatchInvalid, $"The form has a file part named '{Shorten(file.Name)}'; module parts are named 'module'."));
            }

            if (!files.TryAdd(file.FileName, file))
            {
                return (null, new RepositoryProblem(ProblemCodes.BatchInvalid, $"Two module parts have the file name '{Shorten(file.FileName)}'; each needs its own."));
            }
        }

        var batch = new List<BatchedPublish>(patches.Count);
        var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < patches.Count; i++)
        {
            var patch = patches[i];
            if (!files.TryGetValue(patch.Module, out var file))
            {
                return (null, new RepositoryProblem(ProblemCodes.ModulePartMissing,
                    $"Patch {i + 1} of the batch names the module '{Shorten(patch.Module)}', but no file part named 'module' has that file name."));
            }

            if (!bytes.TryGetValue(patch.Module, out var module))
            {
                bytes[patch.Module] = module = await ReadAllAsync(file, cancellation);
            }

            batch.Add(new BatchedPublish(patch.Module, new PublishRequest
            {
                Module = module,
                BuildIds = patch.BuildIds,
                Channel = patch.Channel,
                Level = patch.Level,
                Cves = patch.Cves ?? [],
                Severity = patch.Severity,
                Description = patch.Description,
                Replace = patch.Replace ?? true,
            }));
        }

        if (files.Keys.FirstOrDefault(name => !bytes.ContainsKey(name)) is { } unused)
        {
            return (null, new RepositoryProblem(ProblemCodes.BatchInvalid, $"The module part '{Shorten(unused)}' is named by no patch of the batch."));
        }

        return (batch, null);
    }

    private static string Shorten(string s) => s.Length <= 80 ? LogText.Printable(s) : LogText.Printable(s[..80]) + "…";

    private static RepositoryProblem BatchTooLarge(HttpRequest request) => new(ProblemCodes.BatchTooLarge,
        $"limit {request.HttpContext.RequestServices.GetRequiredService<IOptions<RepositoryOptions>>().Value.MaxBatchBytes / (1024.0 * 1024):0.#} MiB "
        + "(LivePatch:MaxBatchBytes): the batch is larger than this repository accepts; split it");

    /// <summary>The channel a refused publish was for: the first one when the form named none; null when the form was not
    /// read, or named something that is no channel name (request input is not kept).</summary>
    private static string? ChannelOrNull(PublishRequest? request, RepositoryOptions options) => request switch
    {
        null => null,
        { Channel: null } => options.Channels[0],
        { Channel: var channel } => RepositoryOptions.IsChannelName(channel) ? channel : null,
    };

    private static async Task<(PublishRequest? Request, RepositoryProblem? Problem)> ReadPublishAsync(HttpRequest request, CancellationToken cancellation)
    {
        if (!request.HasFormContentType)
        {
            return (null, new RepositoryProblem(ProblemCodes.MultipartRequired, "Send multipart/form-data with the module in a part named 'module'."));
        }

        var (form, formProblem) = await ReadFormAsync(request, cancellation, TooLarge);
        if (formProblem is not null)
        {
            return (null, formProblem);
        }

        if (form!.Files.GetFile("module") is not { } file)
        {
            return (null, new RepositoryProblem(ProblemCodes.ModulePartMissing, "The form has no file part named 'module'."));
        }

        var level = form["level"].ToString();
        if (level.Length > 0 && !int.TryParse(level, out _))
        {
            return (null, new RepositoryProblem(ProblemCodes.LevelInvalid, $"The level must be a whole number from 1 to {LivePatch.Core.Manifests.ManifestLimits.MaxLevel}."));
        }

        if (ReplaceOrNull(form["replace"].ToString()) is not { } replace)
        {
            return (null, new RepositoryProblem(ProblemCodes.FormInvalid, "The 'replace' field must be 'true' or 'false' (or left out: true)."));
        }

        return (new PublishRequest
        {
            Module = await ReadAllAsync(file, cancellation),
            BuildIds = Values(form, "buildId"),
            Channel = form["channel"].ToString() is { Length: > 0 } channel ? channel : null,
            Level = level.Length > 0 ? int.Parse(level, System.Globalization.CultureInfo.InvariantCulture) : null,
            Cves = Values(form, "cve"),
            Severity = form["severity"].ToString() is { Length: > 0 } severity ? severity : null,
            Description = form["description"].ToString() is { Length: > 0 } description ? description : null,
            Replace = replace,
        }, null);
    }

    private static async Task<(IFormCollection? Form, RepositoryProblem? Problem)> ReadFormAsync(HttpRequest request, CancellationToken cancellation,
        Func<HttpRequest, RepositoryProblem> tooLarge)
    {
        try
        {
            return (await request.ReadFormAsync(cancellation), null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, tooLarge(request));
        }
        catch (InvalidDataException e) when (e.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase))
        {
            return (null, tooLarge(request)); // the multipart body limit set on the endpoint
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            return (null, new RepositoryProblem(ProblemCodes.FormInvalid, $"The multipart form could not be read: {e.Message}"));
        }
    }

    /// <summary>An uploaded file's bytes, read into one array of its size (the form's length limit bounds it): a stream
    /// copied and then turned into an array held every module twice.</summary>
    private static async Task<byte[]> ReadAllAsync(IFormFile file, CancellationToken cancellation)
    {
        var bytes = new byte[file.Length];
        await using var stream = file.OpenReadStream();
        await stream.ReadExactlyAsync(bytes, cancellation);
        return bytes;
    }

    /// <summary>Only the two words: '0', 'no' or 'off' must not silently mean "replace earlier levels".</summary>
    private static bool? ReplaceOrNull(string value) => value switch
    {
        "" => true,
        _ when value.Equals("true", StringComparison.OrdinalIgnoreCase) => true,
        _ when value.Equals("false", StringComparison.OrdinalIgnoreCase) => false,
        _ => null,
    };

    private static RepositoryProblem TooLarge(HttpRequest request) => new(ProblemCodes.ModuleTooLarge,
        $"limit {request.HttpContext.RequestServices.GetRequiredService<IOptions<RepositoryOptions>>().Value.MaxModuleBytes / (1024.0 * 1024):0.#} MiB: the upload is larger than this repository accepts");

    private static List<string> Values(IFormCollection form, string key) =>
        form[key].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();

    // limit and after are bound as text: a malformed number is then our page-invalid, not the framework's 400.
    private static Results<Ok<ListPage<PatchInfo>>, ProblemHttpResult> List(PatchListings listings, ClaimsPrincipal user, string? buildId, string? channel,
        string? after, string? limit)
    {
        var outcome = listings.Patches(buildId, channel, after, limit);
        return outcome.Problem is { } problem ? Problems.Result(problem)
            : TypedResults.Ok(outcome.Value! with { Items = [.. outcome.Value.Items.Select(p => ForReader(p, user))] });
    }

    private static Results<Ok<ListPage<KernelInfo>>, ProblemHttpResult> Kernels(PatchListings listings, string? after, string? limit)
    {
        var outcome = listings.Kernels(after, limit);
        return outcome.Problem is { } problem ? Problems.Result(problem) : TypedResults.Ok(outcome.Value!);
    }

    private static Results<Ok<PatchInfo>, ProblemHttpResult> Get(int id, PatchService service, ClaimsPrincipal user) =>
        service.GetOrNull(id) is { } patch ? TypedResults.Ok(ForReader(patch, user)) : Problems.Result(new RepositoryProblem(ProblemCodes.PatchNotFound, $"There is no patch {id}."));

    /// <summary>Listings are anonymous; who published (an API key's name) is shown only to a caller with a valid key, and not to a
    /// reporter key, which sits on every host.</summary>
    private static PatchInfo ForReader(PatchInfo patch, ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && !user.IsInRole(RepositoryRoles.Reporter) ? patch : patch with { Publisher = null };

    private static async Task<Results<Ok<PatchInfo>, ProblemHttpResult>> Promote(int id, PromoteRequest body, PatchService service, HttpContext context, AuditTrail audit)
    {
        var audited = Audited(AuditAction.Promote, id, context, audit, RepositoryOptions.IsChannelName(body.Channel) ? body.Channel : null);
        return Answer(audited.Complete(await WriterThread.Run(() => service.Promote(id, body.Channel, audited))));
    }

    private static async Task<Results<Ok<PatchInfo>, ProblemHttpResult>> Revoke(int id, RevokeRequest body, PatchService service, HttpContext context, AuditTrail audit)
    {
        var audited = Audited(AuditAction.Revoke, id, context, audit);
        return Answer(audited.Complete(await WriterThread.Run(() => service.Revoke(id, body.Reason, audited))));
    }

    private static async Task<Results<Ok<PatchInfo>, ProblemHttpResult>> Delete(int id, ClaimsPrincipal user, PatchDeletion deletion, HttpContext context, AuditTrail audit)
    {
        var admin = user.Identity?.Name ?? "unknown";
        var audited = Audited(AuditAction.PatchDelete, id, context, audit);
        return Answer(audited.Complete(await WriterThread.Run(() => deletion.Delete(id, admin, audited))));
    }

    /// <summary>The audit record of a change to patch <paramref name="id"/> (the request's key and address, read here on
    /// the request's thread), stored with the change or on its own for a refusal.</summary>
    private static AuditedWrite<PatchInfo> Audited(AuditAction action, int id, HttpContext context, AuditTrail audit, string? channel = null)
    {
        var actor = AuditActor.Of(context);
        return audit.ForWrite<PatchInfo>(outcome => new AuditEvent(action, actor, outcome.Problem?.Code ?? AuditEvent.Ok)
        {
            PatchId = id,
            Channel = channel,
            BuildIds = outcome.Value?.BuildIds.Count,
            Reason = outcome.Value?.Revoked?.Reason is { } reason && action == AuditAction.Revoke ? reason : null,
            Target = outcome.Value is { } patch ? $"{patch.Name} level {patch.Level}" : null,
        });
    }

    private static Results<Ok<PatchInfo>, ProblemHttpResult> Answer(Outcome<PatchInfo> outcome) =>
        outcome.Problem is { } problem ? Problems.Result(problem) : TypedResults.Ok(outcome.Value!);
}
