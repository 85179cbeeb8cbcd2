using System.Text;
using System.Text.Json;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace LivePatch.Server.Api;

/// <summary>Answers that no endpoint wrote itself (a body that is not JSON, a path nothing serves, a bug) still carry a code.</summary>
public static class RequestProblems
{
    /// <summary>Gives a problem written by the framework (status code pages, the exception handler) the code its status stands for.</summary>
    public static void AddCode(ProblemDetailsContext context)
    {
        var details = context.ProblemDetails;
        if (details.Extensions.ContainsKey("code"))
        {
            return;
        }

        var code = details.Status switch
        {
            StatusCodes.Status400BadRequest => ProblemCodes.RequestInvalid,
            StatusCodes.Status404NotFound => ProblemCodes.NotFound,
            >= 500 => ProblemCodes.InternalError,
            _ => null, // 405 and the like: no category stands for them; the status says it
        };
        if (code is not null)
        {
            details.Extensions["code"] = code.Code;
            details.Detail ??= code == ProblemCodes.NotFound ? "Nothing is served at this path (see /scalar for the API)." : null;
        }
    }
}

/// <summary>A request body that cannot be read as the endpoint's JSON: 400 <c>request-invalid</c>, never a 500.</summary>
/// <remarks>
/// Minimal APIs throw <see cref="BadHttpRequestException"/> for malformed JSON and invalid UTF-8 (with
/// <c>ThrowOnBadRequest</c>, set for every environment so that the answer is the same everywhere); a lone surrogate
/// escaped in a JSON string (<c>"\ud800"</c>) surfaces from System.Text.Json as <see cref="InvalidOperationException"/>,
/// which is recognised only while the body is being bound (the request's body was read and no endpoint result started).
/// </remarks>
public sealed class RequestBodyExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnreadableBody(exception) || context.Response.HasStarted)
        {
            return false;
        }

        await Problems.Write(context, new RepositoryProblem(ProblemCodes.RequestInvalid,
            "The request body is not valid JSON for this endpoint (malformed, not UTF-8, or a lone surrogate in a string)."));
        return true;
    }

    private static bool IsUnreadableBody(Exception exception) => exception switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status400BadRequest } => true,
        JsonException or DecoderFallbackException => true,
        InvalidOperationException { Source: "System.Text.Json" } => true,
        _ => exception.InnerException is { } inner && IsUnreadableBody(inner),
    };
}
