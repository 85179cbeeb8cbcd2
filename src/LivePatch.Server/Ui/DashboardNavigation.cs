namespace LivePatch.Server.Ui;

/// <summary>One entry of the dashboard's navigation bar: a title and the Razor page it opens (its path under Ui/Pages).</summary>
public sealed record NavigationEntry(string Title, string Page);

/// <summary>The navigation bar every page shows, in order. A new page is one line here (Ui/README.md).</summary>
public static class DashboardNavigation
{
    public static IReadOnlyList<NavigationEntry> Entries { get; } =
    [
        new("Summary", "/Index"),
        new("Kernels", "/Kernels"),
        new("Patches", "/Patches"),
        new("Hosts", "/Hosts"),
        new("CVE exposure", "/Cve"),
        new("Audit trail", "/Audit"),
    ];
}
