using System.Security.Cryptography;

namespace LivePatch.Server.Manifests;

/// <summary>Signed bytes ready to serve, with their strong ETag and the expiry that decides when to re-sign.</summary>
public sealed record ServedDocument(byte[] Bytes, long Version, DateTimeOffset Expires)
{
    /// <summary>Strong ETag: the SHA-256 of the exact bytes (RFC 9110 §8.8.3).</summary>
    public string ETag { get; } = ETagOf(Bytes);

    public string Sha256 => ETag[1..^1];

    /// <summary>The ETag of any signed document served: its SHA-256 in hex, quoted, so that the same bytes have the same
    /// ETag whichever server (a repository, a mirror of it) answers.</summary>
    public static string ETagOf(ReadOnlySpan<byte> bytes) => $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))}\"";
}
