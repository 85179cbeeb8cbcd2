using System.Text.Json;
using System.Text.Json.Serialization;
using LivePatch.Client.Host;
using LivePatch.Core;

namespace LivePatch.Client.Reports;

/// <summary>How the last report went, as <c>lpatch status</c> shows it (<c>stateDirectory/report.json</c>).</summary>
/// <param name="At">When the report was made (the host's clock).</param>
/// <param name="Outcome"><c>sent</c>, <c>failed</c> (made, not delivered) or <c>skipped</c> (not made: machine id or key unusable).</param>
/// <param name="Code">The warning's code; null when sent.</param>
/// <param name="Message">What happened, in a sentence.</param>
/// <param name="Url">Where it went.</param>
/// <param name="MachineId">The id the host reports under there; null when it could not be derived.</param>
/// <param name="Command">The run it reported: <c>check</c>, <c>apply</c>, <c>boot</c> or <c>daemon</c>.</param>
public sealed record ReportRecord(DateTimeOffset At, string Outcome, string? Code, string Message, string Url, string? MachineId, string Command)
{
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Skipped = "skipped";

    public bool WasSent => Outcome == Sent;
}

/// <summary>Keeps the last <see cref="ReportRecord"/> in its own small file beside the state, so that a report, made after the
/// run has let go of the run lock, never rewrites state.json.</summary>
public static class ReportRecordFile
{
    public const string FileName = "report.json";

    private const int MaxBytes = 64 * 1024;

    /// <summary>Replaces the record (temp file and rename; no fsync: losing it costs a status line).</summary>
    public static void Save(string stateDirectory, ReportRecord record)
    {
        PrivateDirectory.Ensure(stateDirectory, "stateDirectory");
        AtomicFile.Write(Path.Combine(stateDirectory, FileName), JsonSerializer.SerializeToUtf8Bytes(record, ReportJsonContext.Default.ReportRecord),
            AtomicFile.OwnerOnly, durable: false);
    }

    /// <summary>The last record; null when there is none or it cannot be read (the next report replaces it).</summary>
    /// <exception cref="UnsafePathException">The file is a link, foreign-owned or writable by others.</exception>
    public static ReportRecord? LastOrNull(string stateDirectory)
    {
        try
        {
            var bytes = PrivateFile.ReadBoundedOrNull(Path.Combine(stateDirectory, FileName), MaxBytes);
            return bytes is null ? null : JsonSerializer.Deserialize(bytes, ReportJsonContext.Default.ReportRecord);
        }
        catch (Exception e) when (e is JsonException or LivePatchFormatException)
        {
            return null;
        }
    }
}

/// <summary>Source-generated JSON (Native AOT) for <see cref="ReportRecord"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReportRecord))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
