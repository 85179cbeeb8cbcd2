using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LivePatch.Server.Api;

/// <summary>Turns a <see cref="RepositoryProblem"/> into an RFC 9457 ProblemDetails response with the stable <c>code</c> member.</summary>
public static class Problems
{
    public static ProblemHttpResult Result(RepositoryProblem problem) =>
        TypedResults.Problem(ToDetails(problem));

    public static Task Write(HttpContext context, RepositoryProblem problem)
    {
        context.Response.StatusCode = problem.Status;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = ToDetails(problem),
        }).AsTask();
    }

    private static ProblemDetails ToDetails(RepositoryProblem problem) => new()
    {
        Status = problem.Status,
        Title = problem.Code,
        Detail = problem.Detail,
        Type = $"https://livepatch.invalid/problems/{problem.Code}",
        Extensions = { ["code"] = problem.Code },
    };
}
