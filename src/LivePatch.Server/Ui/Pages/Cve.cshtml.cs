using LivePatch.Core.Repository;
using LivePatch.Server.Hosts;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LivePatch.Server.Ui.Pages;

/// <summary>CVE exposure: a CVE id in (a GET form), then which kernels have a live patch naming it and which reporting hosts
/// still run without one.</summary>
public sealed class CveModel(FleetQueries fleet) : PageModel
{
    /// <summary>Longer than any CVE id (<c>CVE-</c>, a year, <c>-</c> and at most 19 digits is 28 characters).</summary>
    public const int MaxIdLength = 32;

    public string? Id { get; private set; }

    public CveExposure? Exposure { get; private set; }

    public string? Problem { get; private set; }

    public void OnGet(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return; // the form alone
        }

        // Typed by hand: spaces around it and a lowercase "cve-" are forgiven. A longer input is cut (it is shown again in the
        // form) and is then no CVE id either, so FleetQueries refuses it before it reads anything.
        Id = id.Length <= MaxIdLength ? id.Trim().ToUpperInvariant() : id[..MaxIdLength];
        var exposure = fleet.Cve(Id);
        if (exposure.Problem is { } problem)
        {
            (Problem, Response.StatusCode) = (problem.Detail, problem.Status);
            return;
        }

        Exposure = exposure.Value;
    }
}
