using LivePatch.Core.Manifests;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Manifests;

/// <summary>Turns the patch documents of one (channel, build ID) into the manifest record hosts receive.</summary>
internal static class ManifestBuilder
{
    public static Manifest Build(string repository, string channel, string buildId, IEnumerable<PatchDocument> patches,
        long version, DateTimeOffset issued, TimeSpan lifetime)
    {
        var inChannel = patches.Where(p => p.Channels.ContainsKey(channel)).OrderBy(p => p.Level).ToList();
        return new Manifest
        {
            Schema = Manifest.CurrentSchema,
            Repository = repository,
            Channel = channel,
            BuildId = buildId,
            KernelRelease = inChannel.FirstOrDefault()?.KernelRelease ?? "",
            Version = (ulong)version,
            Issued = issued,
            Expires = issued + lifetime,
            Patches = inChannel.Where(p => p.RevokedMs is null).Select(p => ToPatch(p, channel)).ToList(),
            Revoked = inChannel.Where(p => p.RevokedMs is not null).Select(ToRevoked).ToList(),
        };
    }

    private static ManifestPatch ToPatch(PatchDocument p, string channel) => new()
    {
        Name = p.Name,
        Level = p.Level,
        Sha256 = p.Sha256,
        Size = p.Size,
        Signer = p.Signer,
        Replace = p.Replace,
        Cves = p.Cves,
        Severity = p.Severity,
        Description = p.Description,
        // Hosts' patch delay counts from when the patch entered this channel, not from the first publish.
        Published = DateTimeOffset.FromUnixTimeMilliseconds(p.Channels[channel]),
        Upstream = p.UpstreamRepository is { } repository
            ? new PatchUpstream { Repository = repository, Version = (ulong)(p.UpstreamVersion ?? 0) }
            : null,
    };

    private static RevokedPatch ToRevoked(PatchDocument p) => new()
    {
        Name = p.Name,
        Level = p.Level,
        Sha256 = p.Sha256,
        Reason = p.RevokedReason ?? "",
        RevokedAt = DateTimeOffset.FromUnixTimeMilliseconds(p.RevokedMs!.Value),
    };
}
