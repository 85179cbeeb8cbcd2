using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LivePatch.Server.Health;

/// <summary><c>/healthz</c> (liveness) and <c>/readyz</c> (readiness), the same in the repository and the mirror mode.</summary>
/// <remarks>
/// Both are anonymous, as a load balancer or an orchestrator asks them. Liveness answers from the process alone: a restart
/// is what it triggers, and a full disk is no reason to restart. Readiness runs the checks each mode registers and answers
/// 200 while every check is Healthy or Degraded (a degraded server still serves what hosts need, so a load balancer keeps
/// it), 503 when one is Unhealthy.
/// </remarks>
public static class HealthEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    /// <summary>The framework logs every check of every run; <see cref="ReadinessReports"/> logs each change of a check's
    /// status once instead, so that a probe every few seconds does not repeat the same error.</summary>
    private const string CheckRunLogCategory = "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService";

    /// <summary>Registers the readiness report and returns the builder the mode adds its checks to.</summary>
    public static IHealthChecksBuilder AddReadiness(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ReadinessReports>();
        builder.Logging.AddFilter(CheckRunLogCategory, LogLevel.None);
        return builder.Services.AddHealthChecks();
    }

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("").WithTags("Health");
        health.MapGet(LivenessPath, Live)
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .WithSummary("Liveness: the process answers. No check and no I/O; always 200 'Healthy' while it runs.");
        health.MapGet(ReadinessPath, ReadyAsync)
            .Produces<ReadinessBody>(StatusCodes.Status200OK)
            .Produces<ReadinessBody>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Readiness: each check's status (docs/api.md). 200 while Healthy or Degraded, 503 when a check is Unhealthy; "
                + "checks run at most once per 5 seconds, whoever asks.");
        return app;
    }

    private static ContentHttpResult Live() => TypedResults.Text(nameof(HealthStatus.Healthy));

    private static async Task<JsonHttpResult<ReadinessBody>> ReadyAsync(ReadinessReports reports, HttpContext context)
    {
        var report = await reports.CurrentAsync();
        context.Response.Headers.CacheControl = "no-store";
        var status = report.Report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        return TypedResults.Json(ReadinessBody.From(report), HealthJsonContext.Default.ReadinessBody, statusCode: status);
    }
}

/// <summary>The body of <c>/readyz</c>: the overall status, when the checks ran, and each check's status with a sentence.</summary>
/// <remarks>Anonymous callers see it, so it holds only what the checks wrote for it: no exception message, no file path
/// and no key material (those go to the server log, <see cref="ReadinessReports"/>).</remarks>
public sealed record ReadinessBody(string Status, DateTimeOffset Checked, IReadOnlyList<ReadinessCheck> Checks)
{
    public static ReadinessBody From(CheckedReport checkedReport) => new(
        checkedReport.Report.Status.ToString(),
        checkedReport.Checked,
        [.. checkedReport.Report.Entries.Select(e => new ReadinessCheck(e.Key, e.Value.Status.ToString(), PublicDescription(e.Value)))]);

    /// <summary>A check's own sentence; for a check that threw or timed out, a fixed one: the framework then describes the
    /// entry with the exception's message, which may name a path or more.</summary>
    private static string PublicDescription(HealthReportEntry entry) => entry.Exception switch
    {
        null => entry.Description ?? "",
        OperationCanceledException => "The check did not finish in time (the server log has the details).",
        { } thrown when entry.Description == thrown.Message => "The check failed (the server log has the details).",
        _ => entry.Description ?? "", // a check's own result, carrying the exception for the log
    };
}

/// <summary>One readiness check: its name, <c>Healthy</c>, <c>Degraded</c> or <c>Unhealthy</c>, and why.</summary>
public sealed record ReadinessCheck(string Name, string Status, string Description);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ReadinessBody))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
