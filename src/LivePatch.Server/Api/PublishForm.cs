namespace LivePatch.Server.Api;

/// <summary>The multipart form of <c>POST /v1/patches</c>, as the OpenAPI document describes it; the endpoint reads the form
/// itself (<see cref="PatchesApi"/>), so that each malformed field is refused with its own problem code.</summary>
public sealed class PublishForm
{
    /// <summary>The signed livepatch module: .ko, .ko.gz, .ko.xz or .ko.zst, stored and served as uploaded.</summary>
    public required IFormFile Module { get; init; }

    /// <summary>The kernels' GNU build IDs (hex), 1 to 10 000: repeat the field, or separate with commas.</summary>
    public required IReadOnlyList<string> BuildId { get; init; }

    /// <summary>The channel to publish to; default: the first configured channel.</summary>
    public string? Channel { get; init; }

    /// <summary>The patch level, 1 to 1 000 000, above every level the kernels have had in the channel; default: one above the highest.</summary>
    public int? Level { get; init; }

    /// <summary>CVE ids the patch fixes, like CVE-2024-1086 (at most 256): repeat the field, or separate with commas.</summary>
    public IReadOnlyList<string>? Cve { get; init; }

    /// <summary>low, medium, high or critical.</summary>
    public string? Severity { get; init; }

    /// <summary>At most 4096 characters; no control characters but newline and tab.</summary>
    public string? Description { get; init; }

    /// <summary>Whether the module atomically replaces earlier levels (true or false; default true).</summary>
    public bool? Replace { get; init; }
}

/// <summary>The multipart form of <c>POST /v1/patches/batch</c> (for the API description; the endpoint reads the form itself).</summary>
public sealed class PublishBatchForm
{
    /// <summary>The batch as JSON: <c>{"patches": [{"module": "a.ko", "buildIds": ["…"], "level": 2, …}]}</c>, each patch with
    /// the fields of a single publish (buildIds, channel, level, cves, severity, description, replace) and the file name of
    /// its module part; at most 1000 patches and 10 000 build IDs in all.</summary>
    public required string Batch { get; init; }

    /// <summary>The signed livepatch modules, one file part each, all named 'module', each with a file name the batch names
    /// (and no two with the same).</summary>
    public required IReadOnlyList<IFormFile> Module { get; init; }
}
