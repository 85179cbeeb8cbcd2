using System.Globalization;
using LivePatch.Core.Repository;
using Refit;

namespace LivePatch.Client;

/// <summary>What <c>POST /v1/patches</c> takes: the module file and its form fields (null means the server's default).</summary>
public sealed record ModuleUpload
{
    public required string FileName { get; init; }

    /// <summary>The module file as it is on disk (signed, possibly compressed): buffered, so a retry can send it again.</summary>
    public required ReadOnlyMemory<byte> Module { get; init; }

    public required IReadOnlyList<string> BuildIds { get; init; }

    public string? Channel { get; init; }

    public int? Level { get; init; }

    public IReadOnlyList<string> Cves { get; init; } = [];

    public string? Severity { get; init; }

    public string? Description { get; init; }

    public bool Replace { get; init; } = true;
}

/// <summary>Typed conveniences over the generated <see cref="IRepositoryApi"/>.</summary>
public static class RepositoryApiExtensions
{
    /// <summary>Publishes a module: every build ID and CVE as its own repeated form field, numbers and flags invariant.</summary>
    public static Task<PatchInfo> PublishAsync(this IRepositoryApi api, ModuleUpload upload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(upload);
        var module = new ByteArrayPart(upload.Module.ToArray(), upload.FileName, "application/octet-stream");
        return api.PublishAsync(
            module,
            upload.BuildIds,
            upload.Cves,
            upload.Channel,
            upload.Level?.ToString(CultureInfo.InvariantCulture),
            upload.Severity,
            upload.Description,
            upload.Replace ? "true" : "false",
            cancellationToken);
    }
}
