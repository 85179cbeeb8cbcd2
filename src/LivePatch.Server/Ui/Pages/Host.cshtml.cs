using LivePatch.Core.Repository;
using LivePatch.Server.Hosts;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LivePatch.Server.Ui.Pages;

/// <summary>One host: everything its last report said, its states, and its recent reports, newest first.</summary>
public sealed class HostModel(FleetQueries fleet) : PageModel
{
    public HostDetail? Detail { get; private set; }

    public string? Problem { get; private set; }

    public void OnGet(string machineId)
    {
        var detail = fleet.Host(machineId);
        if (detail.Problem is { } problem)
        {
            (Problem, Response.StatusCode) = (problem.Detail, problem.Status);
            return;
        }

        Detail = detail.Value;
    }
}
