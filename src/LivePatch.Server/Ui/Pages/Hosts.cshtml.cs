using System.Globalization;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Hosts;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Ui.Pages;

/// <summary>The reporting hosts, a page at a time in machine id order (the API's host listing), filtered by state, kernel and
/// channel as the query string says.</summary>
public sealed class HostsModel(FleetQueries fleet, IOptions<RepositoryOptions> options) : PageModel
{
    /// <summary>The longest filter the form takes: a build ID is at most 128 hex digits, a channel or state name far less.</summary>
    public const int MaxFilterLength = 128;

    public IReadOnlyList<string> Channels { get; } = options.Value.Channels;

    public string? State { get; private set; }

    public string? Kernel { get; private set; }

    public string? Channel { get; private set; }

    public IReadOnlyList<HostInfo> Hosts { get; private set; } = [];

    public PagerModel? Pager { get; private set; }

    public string? Problem { get; private set; }

    public bool IsFiltered => State is not null || Kernel is not null || Channel is not null;

    public void OnGet(string? state, string? kernel, string? channel, string? after)
    {
        (State, Kernel, Channel) = (state?.Trim(), kernel?.Trim(), channel?.Trim());
        var page = fleet.Hosts(Kernel, Channel, State, after, DashboardText.PageSize.ToString(CultureInfo.InvariantCulture));
        if (page.Problem is { } problem)
        {
            (Problem, Response.StatusCode) = (problem.Detail, problem.Status);
            return;
        }

        Hosts = page.Value!.Items;
        var filters = new Dictionary<string, string?> { ["state"] = State, ["kernel"] = Kernel, ["channel"] = Channel };
        Pager = new PagerModel("/Hosts", filters, after is null, page.Value.Next);
    }
}
