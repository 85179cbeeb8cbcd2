using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using LivePatch.Core.Repository;
using LivePatch.Server.Hosts;
using LivePatch.Server.Publishing;
using LivePatch.Server.Telemetry;
using Microsoft.AspNetCore.Http.Features;

namespace LivePatch.Server.Api;

/// <summary>Host reports in (reporter or admin) and the fleet questions out (viewer or admin): docs/api.md, docs/reports.md.</summary>
public static class HostsApi
{
    /// <summary>May send host reports: reporter or admin.</summary>
    public const string ReporterPolicy = "reporter";

    /// <summary>May read the fleet: viewer or admin.</summary>
    public const string ViewerPolicy = "viewer";

    private static readonly RepositoryProblem TooLarge = new(ProblemCodes.ReportTooLarge,
        $"A report is at most {HostReportLimits.MaxBodyBytes} bytes of JSON.");

    public static IEndpointRouteBuilder MapHostsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/reports", ReportAsync).WithTags("Hosts").RequireApiKey(ReporterPolicy)
            // read by hand (bounded): described for the OpenAPI document only, as Accepts would make routing answer 415 itself
            .WithMetadata(new RequestBodyDescription(typeof(HostReport), "application/json"))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status413PayloadTooLarge,
                StatusCodes.Status429TooManyRequests)
            .WithSummary("A host's report after a check or apply (JSON, at most 64 KiB; one per host per LivePatch:Reports:MinInterval).");
        var hosts = app.MapGroup("/v1/hosts").WithTags("Hosts").RequireApiKey(ViewerPolicy);
        hosts.MapGet("/", List).Produces<ListPage<HostInfo>>().ProducesProblems(StatusCodes.Status400BadRequest)
            .WithSummary("A page of reporting hosts in machine id order, optionally of one kernel, channel and/or state (limit, after).");
        hosts.MapGet("/summary", (FleetQueries fleet) => TypedResults.Ok(fleet.Summary())).WithSummary("Hosts per state, coverage, stale hosts, kernels.");
        hosts.MapGet("/{machineId}", (string machineId, FleetQueries fleet) => ToResult(fleet.Host(machineId)))
            .Produces<HostDetail>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("One host with its states and its recent reports, newest first.");
        app.MapGet("/v1/cves/{id}", (string id, FleetQueries fleet) => ToResult(fleet.Cve(id))).WithTags("Hosts").RequireApiKey(ViewerPolicy)
            .Produces<CveExposure>().ProducesProblems(StatusCodes.Status400BadRequest)
            .WithSummary("Which kernels have a live patch naming the CVE, and which reporting hosts are exposed or fixed.");
        app.MapGet("/v1/patches/{id:int}/health", (int id, FleetQueries fleet) => ToResult(fleet.PatchHealth(id))).WithTags("Hosts")
            .RequireApiKey(ViewerPolicy).Produces<PatchHealth>().ProducesProblems(StatusCodes.Status404NotFound)
            .WithSummary("How many reporting hosts run the patch, failed on it, or removed it.");
        return app;
    }

    /// <summary>The body is read here, at most <see cref="HostReportLimits.MaxBodyBytes"/> of it, before anything is parsed: a larger
    /// one is refused whole (413), whether it says its length or not.</summary>
    private static async Task<IResult> ReportAsync(HttpContext context, ClaimsPrincipal user, HostReports reports, RepositoryMetrics metrics,
        CancellationToken cancellation)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = HostReportLimits.MaxBodyBytes;
        }

        if (context.Request.ContentLength > HostReportLimits.MaxBodyBytes || await ReadBoundedOrNullAsync(context.Request.Body, cancellation) is not { } body)
        {
            metrics.ReportReceived(TooLarge.Code);
            return Problems.Result(TooLarge);
        }

        HostReport? report;
        try
        {
            report = JsonSerializer.Deserialize(body, RepositoryJsonContext.Default.HostReport);
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or InvalidOperationException)
        {
            metrics.ReportReceived(ProblemCodes.ReportInvalid.Code);
            return Problems.Result(new RepositoryProblem(ProblemCodes.ReportInvalid, $"The body is not a report in JSON: {e.Message}"));
        }

        var acceptance = reports.Accept(report, user.Identity?.Name ?? "unknown", context.Connection.RemoteIpAddress?.ToString());
        metrics.ReportReceived(acceptance.Problem?.Code ?? RepositoryMetrics.Accepted);
        if (acceptance.Problem is not { } problem)
        {
            return TypedResults.NoContent();
        }

        if (acceptance.RetryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return Problems.Result(problem);
    }

    /// <summary>The body, or null when it is longer than <see cref="HostReportLimits.MaxBodyBytes"/> (one byte past it is read to know).</summary>
    private static async Task<byte[]?> ReadBoundedOrNullAsync(Stream body, CancellationToken cancellation)
    {
        var buffer = new byte[HostReportLimits.MaxBodyBytes + 1];
        try
        {
            var length = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellation);
            return length > HostReportLimits.MaxBodyBytes ? null : buffer[..length];
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null; // Kestrel's own limit, set above
        }
    }

    // limit and after are bound as text: a malformed number is then our page-invalid, not the framework's 400.
    private static IResult List(FleetQueries fleet, string? kernel, string? channel, string? state, string? after, string? limit) =>
        ToResult(fleet.Hosts(kernel, channel, state, after, limit));

    private static IResult ToResult<T>(Outcome<T> outcome)
        where T : class => outcome.Problem is { } problem ? Problems.Result(problem) : TypedResults.Ok(outcome.Value);
}
