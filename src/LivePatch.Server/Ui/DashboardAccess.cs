using LivePatch.Core.Repository;

namespace LivePatch.Server.Ui;

/// <summary>Who may open the dashboard: the one place that decides it, for the login and for every request after it.</summary>
public static class DashboardAccess
{
    /// <summary>The authorization policy every dashboard page but the login requires.</summary>
    public const string Policy = "dashboard";

    /// <summary>Whether an API key of <paramref name="role"/> may see the dashboard: admins, and viewers (the read-only
    /// role of the fleet questions). Publishers publish from CI and reporters are hosts: neither has a use for a session
    /// in a browser, and a leaked key of theirs must not open one.</summary>
    public static bool MayView(string? role) => role is RepositoryRoles.Admin or RepositoryRoles.Viewer;
}
