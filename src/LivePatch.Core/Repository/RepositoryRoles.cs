namespace LivePatch.Core.Repository;

/// <summary>API key roles: publishers publish, promote and revoke; admins also manage API keys.</summary>
public static class RepositoryRoles
{
    public const string Publisher = "publisher";
    public const string Admin = "admin";

    public static bool IsKnown(string? role) => role is Publisher or Admin;
}
