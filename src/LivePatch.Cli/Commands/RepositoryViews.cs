using System.Globalization;
using LivePatch.Core.Repository;

namespace LivePatch.Cli.Commands;

/// <summary>Text forms of the repository records: "key: value" lines for one record, aligned columns for lists.</summary>
internal static class RepositoryViews
{
    public static void WritePatch(TextWriter output, PatchInfo patch)
    {
        output.WriteLine($"id: {patch.Id}");
        output.WriteLine($"name: {patch.Name}");
        output.WriteLine($"level: {patch.Level}");
        output.WriteLine($"kernel: {patch.KernelRelease}");
        output.WriteLine($"build-ids: {string.Join(' ', patch.BuildIds)}");
        output.WriteLine($"channels: {string.Join(' ', patch.Channels)}");
        output.WriteLine($"replace: {(patch.Replace ? "yes" : "no")}");
        output.WriteLine($"cves: {string.Join(' ', patch.Cves)}");
        output.WriteLine($"severity: {patch.Severity}");
        output.WriteLine($"description: {patch.Description}");
        output.WriteLine($"sha256: {patch.Sha256}");
        output.WriteLine($"size: {patch.Size}");
        output.WriteLine($"signer: {patch.Signer}");
        output.WriteLine($"published: {Time(patch.Published)}{(patch.Publisher is null ? "" : $" by {patch.Publisher}")}");
        output.WriteLine($"status: {Status(patch)}");
    }

    public static void WritePatches(TextWriter output, IReadOnlyList<PatchInfo> patches) => WriteTable(output,
        ["ID", "NAME", "LEVEL", "KERNEL", "CHANNELS", "PUBLISHED", "STATUS"],
        patches.Select(p => new[]
        {
            p.Id.ToString(CultureInfo.InvariantCulture), p.Name, p.Level.ToString(CultureInfo.InvariantCulture), p.KernelRelease,
            string.Join(',', p.Channels), Time(p.Published), Status(p),
        }));

    public static void WriteKernels(TextWriter output, IReadOnlyList<KernelInfo> kernels) => WriteTable(output,
        ["BUILD-ID", "KERNEL", "PATCHES", "LEVELS"],
        kernels.Select(k => new[]
        {
            k.BuildId, k.KernelRelease, k.Patches.ToString(CultureInfo.InvariantCulture),
            string.Join(' ', k.Levels.Select(l => $"{l.Key}={l.Value}")),
        }));

    public static void WriteApiKeys(TextWriter output, IReadOnlyList<ApiKeyInfo> keys) => WriteTable(output,
        ["ID", "NAME", "ROLE", "CREATED"],
        keys.Select(k => new[] { k.Id, k.Name, k.Role, Time(k.Created) }));

    /// <summary>The audit trail, newest first; what a request sent (a path, a reason) is escaped by the caller's writer.</summary>
    public static void WriteAudit(TextWriter output, IReadOnlyList<AuditEntry> entries) => WriteTable(output,
        ["ID", "TIME", "ACTION", "OUTCOME", "KEY", "FROM", "WHAT"],
        entries.Select(e => new[]
        {
            e.Id.ToString(CultureInfo.InvariantCulture), Time(e.Time), e.Action, e.Outcome,
            (e.KeyName, e.KeyId) switch { (null, null) => "-", (null, { } id) => id, ({ } name, null) => name, var (name, id) => $"{name} ({id})" },
            e.ClientAddress ?? "-", What(e),
        }));

    private static string What(AuditEntry e) => string.Join(", ", new[]
    {
        e.PatchId is { } id ? $"patch {id}" : null, e.Target, e.Channel is { } channel ? $"channel {channel}" : null,
        e.BuildIds is { } count ? $"{count} build ID(s)" : null, e.Reason, e.NotStored is { } n ? $"{n} more not stored" : null,
    }.OfType<string>());

    private static string Status(PatchInfo patch) => patch.Revoked is { } revoked
        ? $"revoked {Time(revoked.RevokedAt)}: {revoked.Reason}"
        : "active";

    internal static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    internal static void WriteTable(TextWriter output, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        foreach (var row in all)
        {
            // The last column is not padded, so lines carry no trailing spaces.
            output.WriteLine(string.Join("  ", row.Select((cell, column) => column == row.Length - 1 ? cell : cell.PadRight(widths[column]))));
        }
    }
}
