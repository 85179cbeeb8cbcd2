using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LivePatch.Core.Mirrors;

namespace LivePatch.Cli.Commands;

/// <summary>Source-generated (AOT-safe) JSON of a sync's summary.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MirrorSyncSummary))]
internal sealed partial class MirrorJson : JsonSerializerContext;

/// <summary>What <c>lpatch mirror sync</c> prints: the summary as one line or JSON, and progress on a terminal.</summary>
internal static class MirrorViews
{
    /// <param name="output">Where the summary goes.</param>
    /// <param name="summary">The run's summary.</param>
    /// <param name="json">JSON instead of one line.</param>
    /// <param name="verb">What the line starts with: <c>synced</c>, <c>exported</c>, <c>imported</c>.</param>
    public static void WriteSummary(TextWriter output, MirrorSyncSummary summary, bool json, string verb = "synced")
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(summary, MirrorJson.Default.MirrorSyncSummary));
            return;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{verb} {summary.Source} -> {summary.Target}: index version {summary.IndexVersion}" +
            $"{summary switch
            {
                { SinceVersion: { } since } => $" (what changed since {since})",
                { PreviousIndexVersion: { } previous } => $" (was {previous})",
                _ => " (new copy)",
            }}; " +
            $"copied {summary.FilesCopied} files, {Bytes(summary.BytesCopied)} " +
            $"(index {summary.Index.Copied}, bins {summary.Bins.Copied}, manifests {summary.Manifests.Copied}, blobs {summary.Blobs.Copied}); " +
            $"unchanged: bins {summary.Bins.Skipped}, manifests {summary.Manifests.Skipped}, blobs {summary.Blobs.Skipped}; " +
            $"deleted {summary.FilesDeleted}; {summary.Elapsed.TotalSeconds:0.0} s"));
    }

    public static string Bytes(long bytes) => bytes switch
    {
        < 10 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 10 * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
    };
}

/// <summary>Files and bytes copied, with the rate, rewritten in place on a terminal (stderr) at most ten times a second.</summary>
internal sealed class MirrorTerminalProgress(TextWriter error)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _shown = TimeSpan.MinValue;
    private bool _any;

    public void Report(MirrorProgress progress)
    {
        var now = _clock.Elapsed;
        if (now - _shown < TimeSpan.FromMilliseconds(100) && progress.Kind != MirrorFileKind.Index)
        {
            return;
        }

        _shown = now;
        _any = true;
        var rate = progress.BytesCopied / Math.Max(now.TotalSeconds, 0.001);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{progress.FilesCopied} files, {MirrorViews.Bytes(progress.BytesCopied)} copied ({MirrorViews.Bytes((long)rate)}/s), " +
            $"{progress.FilesDeleted} deleted; {progress.Kind.ToString().ToLowerInvariant()} {progress.Path}");
        error.Write($"\r{(line.Length > 110 ? line[..110] : line),-110}");
    }

    public void Done()
    {
        if (_any)
        {
            error.WriteLine();
        }
    }
}
