using System.Globalization;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Ui.Pages;

/// <summary>The kernels with patches, a page at a time (the API's kernel listing), with the highest live level per channel.</summary>
public sealed class KernelsModel(PatchListings listings, IOptions<RepositoryOptions> options) : PageModel
{
    public IReadOnlyList<string> Channels { get; } = options.Value.Channels;

    public IReadOnlyList<KernelInfo> Kernels { get; private set; } = [];

    public PagerModel? Pager { get; private set; }

    public string? Problem { get; private set; }

    public void OnGet(string? after)
    {
        var page = listings.Kernels(after, DashboardText.PageSize.ToString(CultureInfo.InvariantCulture));
        if (page.Problem is { } problem)
        {
            (Problem, Response.StatusCode) = (problem.Detail, problem.Status);
            return;
        }

        Kernels = page.Value!.Items;
        Pager = new PagerModel("/Kernels", new Dictionary<string, string?>(), after is null, page.Value.Next);
    }
}
