using System.Globalization;
using LivePatch.Core.Repository;
using LivePatch.Server.Audit;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LivePatch.Server.Ui.Pages;

/// <summary>The audit trail, newest first, a page at a time (<c>GET /v1/audit</c>'s query): who published, promoted, revoked,
/// deleted, changed keys or imported, and every refused key, optionally of one action.</summary>
public sealed class AuditModel(AuditTrail audit) : PageModel
{
    public IReadOnlyList<string> Actions { get; } = [.. AuditAction.All.Select(a => a.Name)];

    public string? Action { get; private set; }

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];

    public PagerModel? Pager { get; private set; }

    public string? Problem { get; private set; }

    public void OnGet(string? action, string? after)
    {
        Action = action;
        var page = audit.Query(action, null, after, DashboardText.PageSize.ToString(CultureInfo.InvariantCulture));
        if (page.Problem is { } problem)
        {
            (Problem, Response.StatusCode) = (problem.Detail, problem.Status);
            return;
        }

        Entries = page.Value!.Items;
        Pager = new PagerModel("/Audit", new Dictionary<string, string?> { ["action"] = action }, after is null, page.Value.Next);
    }

    /// <summary>The entry's details in one line: patch, channel, build IDs, reason, target, what was not stored.</summary>
    public static string Details(AuditEntry entry) => string.Join("; ", new[]
    {
        entry.PatchId is { } id ? $"patch #{id}" : null,
        entry.Channel is { } channel ? $"channel {channel}" : null,
        entry.BuildIds is { } builds ? $"{builds} build ID(s)" : null,
        entry.Reason is { } reason ? $"reason: {reason}" : null,
        entry.Target,
        entry.NotStored is > 0 ? $"{entry.NotStored} more refused key(s) logged, not kept here" : null,
    }.Where(part => !string.IsNullOrEmpty(part)));
}
