using System.Globalization;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Publishing;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Ui.Pages;

/// <summary>One kernel: its release and its patches in each channel (a page of the API's patch listing for that build ID).</summary>
public sealed class KernelModel(PatchListings listings, IOptions<RepositoryOptions> options) : PageModel
{
    public IReadOnlyList<string> Channels { get; } = options.Value.Channels;

    public KernelInfo? Kernel { get; private set; }

    /// <summary>The patches of this page, by channel (a patch in two channels is in both lists), highest level first.</summary>
    public IReadOnlyDictionary<string, List<PatchInfo>> ByChannel { get; private set; } = new Dictionary<string, List<PatchInfo>>();

    public PagerModel? Pager { get; private set; }

    public string? Problem { get; private set; }

    public void OnGet(string buildId, string? after)
    {
        if (listings.KernelOrNull(buildId) is not { } kernel)
        {
            (Problem, Response.StatusCode) = ("No patch targets this kernel (or that is not a build ID).", StatusCodes.Status404NotFound);
            return;
        }

        var page = listings.Patches(kernel.BuildId, null, after, DashboardText.PageSize.ToString(CultureInfo.InvariantCulture));
        if (page.Problem is { } problem)
        {
            (Problem, Response.StatusCode) = (problem.Detail, problem.Status);
            return;
        }

        Kernel = kernel;
        ByChannel = Channels.ToDictionary(c => c, c => page.Value!.Items.Where(p => p.Channels.Contains(c)).OrderByDescending(p => p.Level).ToList());
        Pager = new PagerModel("/Kernel", new Dictionary<string, string?> { ["buildId"] = kernel.BuildId }, after is null, page.Value!.Next);
    }
}
