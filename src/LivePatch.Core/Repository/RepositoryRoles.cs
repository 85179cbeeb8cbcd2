namespace LivePatch.Core.Repository;

/// <summary>API key roles: publishers publish, promote and revoke; reporters only send host reports; viewers only read the
/// fleet (hosts, CVE exposure, patch health); admins do all of it and manage API keys.</summary>
public static class RepositoryRoles
{
    public const string Publisher = "publisher";
    public const string Admin = "admin";

    /// <summary>May only <c>POST /v1/reports</c>: the key every host holds, so it opens nothing else.</summary>
    public const string Reporter = "reporter";

    /// <summary>May only read the fleet questions (<c>GET /v1/hosts</c>, <c>/v1/cves/{id}</c>, <c>/v1/patches/{id}/health</c>).</summary>
    public const string Viewer = "viewer";

    /// <summary>Every role, for messages and the command line.</summary>
    public static IReadOnlyList<string> All { get; } = [Publisher, Admin, Reporter, Viewer];

    public static bool IsKnown(string? role) => role is Publisher or Admin or Reporter or Viewer;
}
