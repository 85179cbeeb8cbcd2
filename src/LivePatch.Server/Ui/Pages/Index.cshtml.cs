using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Hosts;
using LivePatch.Server.Manifests;
using LivePatch.Server.Storage;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Ui.Pages;

/// <summary>The landing page: what this repository is and holds, how fresh its signatures are, and the reporting hosts.</summary>
public sealed class IndexModel(IOptions<RepositoryOptions> options, RepositoryDatabase db, ManifestService manifests, IndexService index,
    FleetQueries fleet, IOptions<ReportsOptions> reports, TimeProvider time) : PageModel
{
    public RepositoryOptions Repository { get; } = options.Value;

    public DateTimeOffset Now { get; private set; }

    public int Patches { get; private set; }

    public int Kernels { get; private set; }

    public int Manifests { get; private set; }

    public DateTimeOffset? EarliestManifestExpiry { get; private set; }

    public long Version { get; private set; }

    public ServedDocument? Index { get; private set; }

    /// <summary>The hosts per state (each in its first), coverage and staleness, from the fleet's summary.</summary>
    public FleetSummary Fleet { get; private set; } = null!;

    public TimeSpan StaleAfter { get; } = reports.Value.StaleAfter;

    /// <summary>True when a manifest has less than half its lifetime left: the re-signer renews them before that, so it is
    /// behind (or failing: the log says why).</summary>
    public bool ResigningBehind => EarliestManifestExpiry is { } expiry && expiry - Now < Repository.ManifestLifetime / 2;

    public void OnGet()
    {
        Now = time.GetUtcNow();
        (Patches, Kernels) = db.PatchCounts();
        (Manifests, EarliestManifestExpiry) = manifests.ServedSummary();
        Version = db.CurrentVersion;
        Index = index.CurrentOrNull;
        Fleet = fleet.Summary();
    }
}
