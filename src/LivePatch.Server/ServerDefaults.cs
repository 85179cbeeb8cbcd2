namespace LivePatch.Server;

/// <summary>What the server does when nothing is configured.</summary>
public static class ServerDefaults
{
    /// <summary>Where it listens without <c>--urls</c>, <c>ASPNETCORE_URLS</c> or <c>ASPNETCORE_HTTP_PORTS</c>: the loopback
    /// interface only, so that a first start exposes nothing.</summary>
    public const string Url = "http://127.0.0.1:5080";
}
