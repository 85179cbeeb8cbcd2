namespace LivePatch.Client.Tests.Updates;

/// <summary>What the simulator does to the manifest on the wire.</summary>
public enum ManifestAttack
{
    None,

    /// <summary>One byte of the signed JSON flipped inside the CMS.</summary>
    Tamper,

    /// <summary>Only the first half of the CMS.</summary>
    Truncate,

    /// <summary>Bytes without end, until the client hangs up (or <see cref="RepositorySimulator.EndlessLimit"/>).</summary>
    Endless,
}

/// <summary>What the simulator does to module blobs on the wire.</summary>
public enum BlobAttack
{
    None,

    /// <summary>One byte flipped: same size, another SHA-256.</summary>
    Corrupt,

    /// <summary>The module followed by extra bytes, more than the manifest declares.</summary>
    Oversize,
}

/// <summary>One request as the simulator saw it, with the status it answered (0 when it hung up).</summary>
public sealed record SimulatorRequest(string Path, string? Range, string? IfNoneMatch, int Status);
