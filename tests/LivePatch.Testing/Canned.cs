namespace LivePatch.Testing;

/// <summary>Answers as the repository server sends them (camelCase JSON of the Core wire records).</summary>
public static class Canned
{
    public const string BuildId = "0123456789abcdef0123456789abcdef01234567";
    public const string OtherBuildId = "fedcba9876543210fedcba9876543210fedcba98";

    public static string Patch(int id = 7, string channel = "stable", string? revoked = null) => $$"""
        {"id":{{id}},"name":"lp_sample","level":3,"sha256":"{{new string('a', 64)}}","size":4096,"signer":"ab:cd:ef",
         "kernelRelease":"6.1.0-28-amd64","buildIds":["{{BuildId}}","{{OtherBuildId}}"],"channels":["{{channel}}"],
         "cves":["CVE-2024-1086"],"severity":"high","description":"nf_tables fix","replace":true,
         "published":"2025-01-02T03:04:05+00:00","publisher":"ci"{{(revoked is null ? "" : $$""","revoked":{"reason":"{{revoked}}","revokedAt":"2025-01-03T00:00:00+00:00"}""")}}}
        """;

    /// <summary>A page of the listings (<c>GET /v1/patches</c>, <c>GET /v1/kernels</c>): these records, then <paramref name="next"/>.</summary>
    public static string Page(string? next, params string[] items) =>
        $$"""{"items":[{{string.Join(',', items)}}],"next":{{(next is null ? "null" : $"\"{next}\"")}}}""";

    /// <summary>Patches 7 and 8, one page.</summary>
    public static string Patches(string? next = null) => Page(next, Patch(7), Patch(8, "beta"));

    public static string Kernel(string buildId = BuildId) => $$"""
        {"buildId":"{{buildId}}","kernelRelease":"6.1.0-28-amd64","levels":{"stable":3,"beta":4},"patches":2}
        """;

    /// <summary>One kernel, one page.</summary>
    public static string Kernels(string? next = null) => Page(next, Kernel());

    public const string ApiKey = """
        {"id":"k1","name":"ci","role":"publisher","created":"2025-01-02T03:04:05+00:00","secret":"lpk_s3cr3t"}
        """;

    public const string ApiKeys = """
        [{"id":"k1","name":"ci","role":"publisher","created":"2025-01-02T03:04:05+00:00"}]
        """;
}
