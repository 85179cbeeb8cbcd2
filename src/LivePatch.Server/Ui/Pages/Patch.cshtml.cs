using LivePatch.Core.Repository;
using LivePatch.Server.Hosts;
using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LivePatch.Server.Ui.Pages;

/// <summary>One patch, everything the API says of it (publisher included: the viewer holds a key), and how it fares on the
/// reporting hosts.</summary>
public sealed class PatchModel(PatchService patches, FleetQueries fleet) : PageModel
{
    /// <summary>Build IDs listed on the page; a bulk publish names up to 10,000, the rest are counted.</summary>
    public const int MaxBuildIdsShown = 100;

    /// <summary>CVE ids a listing row shows before it counts the rest (a patch may name 256).</summary>
    public const int MaxCvesInRow = 5;

    public PatchInfo? Patch { get; private set; }

    public PatchHealth? Health { get; private set; }

    public void OnGet(int id)
    {
        Patch = patches.GetOrNull(id);
        if (Patch is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        Health = fleet.PatchHealth(id).Value;
    }

    /// <summary>A listing row's CVE ids: the first few, then how many more.</summary>
    public static string Cves(IReadOnlyList<string> cves) =>
        cves.Count <= MaxCvesInRow ? string.Join(", ", cves) : $"{string.Join(", ", cves.Take(MaxCvesInRow))} and {cves.Count - MaxCvesInRow} more";
}
