using System.Globalization;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Ui.Pages;

/// <summary>Every patch, a page at a time in id order (the API's patch listing), optionally of one channel.</summary>
public sealed class PatchesModel(PatchListings listings, IOptions<RepositoryOptions> options) : PageModel
{
    public IReadOnlyList<string> Channels { get; } = options.Value.Channels;

    public string? Channel { get; private set; }

    public IReadOnlyList<PatchInfo> Patches { get; private set; } = [];

    public PagerModel? Pager { get; private set; }

    public string? Problem { get; private set; }

    public void OnGet(string? channel, string? after)
    {
        Channel = channel;
        var page = listings.Patches(null, channel, after, DashboardText.PageSize.ToString(CultureInfo.InvariantCulture));
        if (page.Problem is { } problem)
        {
            (Problem, Response.StatusCode) = (problem.Detail, problem.Status);
            return;
        }

        Patches = page.Value!.Items;
        Pager = new PagerModel("/Patches", new Dictionary<string, string?> { ["channel"] = channel }, after is null, page.Value.Next);
    }
}
