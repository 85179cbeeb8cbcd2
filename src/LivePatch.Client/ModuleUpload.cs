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

    /// <summary>Publishes many modules in one request (<c>POST /v1/patches/batch</c>), all or none: each upload becomes one patch
    /// of the batch, its module one part under its file name (one already taken gets the patch's place in the batch in
    /// front: <c>2-lp_fix.ko</c>), in order; the answer lists the stored patches in the same order.</summary>
    public static Task<PublishedBatch> PublishBatchAsync(this IRepositoryApi api, IReadOnlyList<ModuleUpload> uploads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(uploads);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var names = new List<string>(uploads.Count);
        for (var i = 0; i < uploads.Count; i++)
        {
            var name = uploads[i].FileName;
            for (var k = 1; !used.Add(name); k++)
            {
                name = k == 1 ? $"{i + 1}-{uploads[i].FileName}" : $"{i + 1}.{k}-{uploads[i].FileName}";
            }

            names.Add(name);
        }

        var batch = new PublishBatch
        {
            Patches = [.. uploads.Select((u, i) => new BatchPatch
            {
                Module = names[i],
                BuildIds = u.BuildIds,
                Channel = u.Channel,
                Level = u.Level,
                Cves = u.Cves.Count > 0 ? u.Cves : null,
                Severity = u.Severity,
                Description = u.Description,
                Replace = u.Replace ? null : false,
            })],
        };
        var parts = uploads.Select((u, i) => new ByteArrayPart(WholeArray(u.Module), names[i], "application/octet-stream")).ToList();
        return api.PublishBatchAsync(System.Text.Json.JsonSerializer.Serialize(batch, RepositoryJsonContext.Default.PublishBatch), parts, cancellationToken);
    }

    /// <summary>The array under <paramref name="bytes"/> when they are all of it (as a file read is), else a copy: a batch of
    /// modules is not held twice.</summary>
    private static byte[] WholeArray(ReadOnlyMemory<byte> bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : bytes.ToArray();
}
