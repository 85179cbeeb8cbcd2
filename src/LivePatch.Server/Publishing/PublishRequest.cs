namespace LivePatch.Server.Publishing;

/// <summary>What a vendor uploads: the module file and its metadata (the multipart form of POST /v1/patches).</summary>
public sealed record PublishRequest
{
    public required byte[] Module { get; init; }

    public required IReadOnlyList<string> BuildIds { get; init; }

    public string? Channel { get; init; }

    public int? Level { get; init; }

    public IReadOnlyList<string> Cves { get; init; } = [];

    public string? Severity { get; init; }

    public string? Description { get; init; }

    public bool Replace { get; init; } = true;
}


/// <summary>One patch of a batch publish: its fields, and the file name of the form part its module came in (refusals name it).</summary>
public sealed record BatchedPublish(string Module, PublishRequest Request);
