using System.Security.Cryptography;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Upstream;

/// <summary>The modules of an import run: for each vendor patch the site does not hold yet, its blob read up to the declared
/// size, checked against the manifest's SHA-256 and size, then the very checks a publish runs (<see cref="PublishValidator"/>:
/// module signature against the site's module keyring, <c>livepatch=Y</c>, name, vermagic, ELF relocatable, metadata), and
/// finally the module's signer and release against what the vendor's manifest says.</summary>
internal sealed class UpstreamModules(IMirrorSource source, PublishValidator validator, RepositoryDatabase db, long maxModuleBytes)
{
    public async Task<Dictionary<UpstreamPatchKey, VerifiedModule>> ReadAsync(string repository, IReadOnlyList<VerifiedManifest> manifests,
        CancellationToken cancellation)
    {
        var wanted = new Dictionary<UpstreamPatchKey, (VerifiedManifest First, List<string> BuildIds)>();
        foreach (var manifest in manifests)
        {
            foreach (var patch in manifest.Manifest.Patches.Where(p => FindOrNull(db, repository, UpstreamPatchKey.Of(p)) is null))
            {
                var key = UpstreamPatchKey.Of(patch);
                if (!wanted.TryGetValue(key, out var use))
                {
                    wanted[key] = use = (manifest, []);
                }

                use.BuildIds.Add(manifest.Manifest.BuildId);
            }
        }

        var modules = new Dictionary<UpstreamPatchKey, VerifiedModule>();
        foreach (var (key, (first, buildIds)) in wanted)
        {
            var bytes = await FetchBlobAsync(first.Manifest.Patches.First(p => UpstreamPatchKey.Of(p) == key), cancellation);
            modules[key] = Validate(first, key, bytes, buildIds.Distinct(StringComparer.Ordinal).ToList());
        }

        return modules;
    }

    /// <summary>The site's copy of a vendor patch (a fresh document from LiteDB, safe to change), or null.</summary>
    public static PatchDocument? FindOrNull(RepositoryDatabase db, string repository, UpstreamPatchKey key) =>
        db.Patches.Find(p => p.Sha256 == key.Sha256)
            .FirstOrDefault(p => p.UpstreamRepository == repository && p.Name == key.Name && p.Level == key.Level);

    private async Task<byte[]> FetchBlobAsync(Core.Manifests.ManifestPatch entry, CancellationToken cancellation)
    {
        var path = MirrorTree.BlobPath(entry.Sha256);
        if (entry.Size > maxModuleBytes)
        {
            throw new UpstreamRefusal(new(ProblemCodes.ModuleTooLarge,
                $"Upstream {path} is {entry.Size} bytes; this repository accepts at most {maxModuleBytes} (LivePatch:MaxModuleBytes)."));
        }

        await using var stream = await source.OpenOrNullAsync(path, cancellation)
            ?? throw new UpstreamRefusal(new(ProblemCodes.UpstreamFileMissing, $"{source.Description} has no {path}."));
        byte[] bytes;
        try
        {
            // Never past the size the signed manifest declares, whatever the source sends.
            bytes = await MirrorStreams.ReadBoundedAsync(stream, path, entry.Size, cancellation);
        }
        catch (MirrorSourceTooLargeException)
        {
            throw UpstreamReader.Mismatch(path, $"is larger than the {entry.Size} bytes its manifest entry names");
        }

        if (bytes.Length != entry.Size || Convert.ToHexStringLower(SHA256.HashData(bytes)) != entry.Sha256)
        {
            throw UpstreamReader.Mismatch(path, $"does not have the size ({entry.Size}) and SHA-256 its manifest entry names");
        }

        return bytes;
    }

    private VerifiedModule Validate(VerifiedManifest first, UpstreamPatchKey key, byte[] bytes, List<string> buildIds)
    {
        var entry = first.Manifest.Patches.First(p => UpstreamPatchKey.Of(p) == key);
        var validated = validator.Validate(new PublishRequest
        {
            Module = bytes,
            BuildIds = buildIds,
            Channel = first.SiteChannel,
            Level = entry.Level,
            Cves = entry.Cves,
            Severity = entry.Severity,
            Description = entry.Description,
            Replace = entry.Replace,
        });
        var module = validated.Value ?? throw new UpstreamRefusal(validated.Problem! with
        {
            Detail = $"Upstream patch {entry.Name} level {entry.Level} ({entry.Sha256}) refused: {validated.Problem!.Detail}",
        });

        // The host checks the module against the signer its manifest names: the site's manifest names the vendor's, unchanged.
        if (!string.Equals(module.Signature.KeyId, entry.Signer, StringComparison.OrdinalIgnoreCase))
        {
            throw new UpstreamRefusal(new(ProblemCodes.UpstreamModuleMismatch,
                $"Upstream patch {entry.Name} level {entry.Level} is signed by {module.Signature.KeyId}, but its manifest names {entry.Signer}."));
        }

        if (module.Module.Info.KernelRelease != first.Manifest.KernelRelease || module.Module.Info.Name != entry.Name)
        {
            throw new UpstreamRefusal(new(ProblemCodes.UpstreamModuleMismatch,
                $"Upstream patch {entry.Name} level {entry.Level} is module {module.Module.Info.Name} for release {module.Module.Info.KernelRelease}, "
                + $"but its manifest says {entry.Name} for {first.Manifest.KernelRelease}."));
        }

        return new VerifiedModule(entry, bytes, Convert.ToHexStringLower(SHA256.HashData(module.Module.Bytes.Span)), first.Manifest.KernelRelease);
    }
}
