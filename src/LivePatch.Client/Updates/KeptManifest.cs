using LivePatch.Client.Host;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Updates;

/// <summary>The last manifest this host accepted for a kernel, as kept in the cache, checked again before anything reads it:
/// signature, chain and identity, and its version the one the state accepted. Freshness is not required: it says what the
/// host last knew, which is what <c>lpatch apply --boot</c> restores from and <c>lpatch status --prometheus</c> reports.</summary>
public static class KeptManifest
{
    /// <summary>Where <see cref="Load"/> says the manifest came from: the host's own cache, not a repository.</summary>
    public const string Source = "local cache";

    public static (VerifiedManifest? Manifest, UpdateFailure? Failure) Load(ClientOptions options, TrustPolicy policy, ClientState state, HostKernel kernel,
        TimeProvider time)
    {
        var address = DocumentAddress.Manifest(options.Channel, kernel.BuildId.Hex);
        var kept = new SignedDocumentCache(options.CacheDirectory, options.MaxManifestBytes).LoadOrNull(address);
        if (kept is null)
        {
            return (null, new UpdateFailure(ClientErrorCodes.BootManifestMissing,
                $"no kept {address} in {options.CacheDirectory}: the last accepted manifest is needed to re-apply at boot."));
        }

        var verified = new ManifestVerifier(policy, time).VerifyKept(kept.Signed, state.Memos.GetValueOrDefault(ClientState.MemoKey(options.Channel, kernel.BuildId.Hex)));
        if (!verified.IsValid)
        {
            return (null, UpdateFailure.Refused(verified.Issue!));
        }

        var manifest = verified.Manifest;
        var repository = options.RepositoryId ?? state.RepositoryId ?? manifest.Repository;
        if (ManifestExpectations.CheckMatches(manifest, repository, options.Channel, kernel.BuildId.Hex) is { } mismatch)
        {
            return (null, UpdateFailure.Refused(mismatch));
        }

        // The kept copy is the one the state accepted last; an older one (a restored backup of the cache) could miss a revocation.
        var key = ClientState.VersionKey(manifest.Repository, manifest.Channel, manifest.BuildId);
        if (state.Versions.TryGetValue(key, out var accepted) && manifest.Version < accepted)
        {
            return (null, UpdateFailure.Refused(ClientErrorCodes.ManifestRollback,
                $"the kept manifest is version {manifest.Version}, older than version {accepted} accepted before."));
        }

        return (new VerifiedManifest(manifest, Source, kept.Signed, kept.ETag), null);
    }
}
