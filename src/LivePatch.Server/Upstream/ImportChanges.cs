using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Upstream;

/// <summary>What one import run changes in the site's patches, worked out under the writer lock: a new site patch per vendor
/// patch the site lacks, and the kernels and site channels added to copies it holds. A site copy revoked here stays revoked.</summary>
internal sealed class ImportChanges(UpstreamPlan plan, RepositoryDatabase db, long nowMs)
{
    private readonly Dictionary<UpstreamPatchKey, PatchDocument> _touched = [];
    private readonly HashSet<UpstreamPatchKey> _new = [];
    private readonly HashSet<UpstreamPatchKey> _changed = [];
    private readonly List<(VerifiedManifest Manifest, PatchDocument Doc)> _added = [];

    public List<PatchDocument> New => [.. _new.Select(k => _touched[k])];

    public List<PatchDocument> Changed => [.. _changed.Except(_new).Select(k => _touched[k])];

    public int Imported => _new.Count;

    public int Updated => _changed.Except(_new).Count();

    /// <summary>Vendor patch entries of the changed manifests that the site already held as they are.</summary>
    public int Skipped { get; private set; }

    /// <summary>Every kernel a new or changed patch targets: their manifests are re-signed.</summary>
    public List<string> Kernels => [.. _new.Concat(_changed).SelectMany(k => _touched[k].BuildIds).Distinct(StringComparer.Ordinal)];

    public IEnumerable<string> Channels => _added.Select(a => a.Manifest.SiteChannel).Distinct(StringComparer.Ordinal);

    /// <summary>Takes in the live patches of one verified vendor manifest.</summary>
    public void Add(VerifiedManifest manifest)
    {
        foreach (var entry in manifest.Manifest.Patches)
        {
            var key = UpstreamPatchKey.Of(entry);
            if (!_touched.TryGetValue(key, out var doc))
            {
                doc = UpstreamModules.FindOrNull(db, plan.Index.Repository, key) ?? NewOrNull(key);
                if (doc is null)
                {
                    continue; // deleted here since the run read it: the next run imports it again
                }

                _touched[key] = doc;
            }

            var buildId = manifest.Manifest.BuildId;
            if (doc.RevokedMs is not null || (doc.BuildIds.Contains(buildId) && doc.Channels.ContainsKey(manifest.SiteChannel)))
            {
                Skipped++;
                continue;
            }

            if (!doc.BuildIds.Contains(buildId))
            {
                doc.BuildIds.Add(buildId);
            }

            doc.Channels.TryAdd(manifest.SiteChannel, nowMs);
            _changed.Add(key);
            _added.Add((manifest, doc));
        }
    }

    /// <summary>The first conflict with what the site holds (or with another patch of this run): another kernel release for a
    /// build ID, or a live patch at the same level in the site channel. Null when the run can be stored.</summary>
    public RepositoryProblem? CheckAgainstSite()
    {
        foreach (var (manifest, doc) in _added)
        {
            var (buildId, channel) = (manifest.Manifest.BuildId, manifest.SiteChannel);
            if (manifest.Manifest.KernelRelease != doc.KernelRelease)
            {
                return new(ProblemCodes.UpstreamModuleMismatch,
                    $"Upstream manifest of kernel {buildId} says release {manifest.Manifest.KernelRelease}, but its patch {doc.Name} level {doc.Level} is for {doc.KernelRelease}.");
            }

            var others = PatchesAfter(buildId).Where(p => !ReferenceEquals(p, doc)).ToList();
            if (others.FirstOrDefault(p => p.KernelRelease != doc.KernelRelease) is { } other)
            {
                return new(ProblemCodes.KernelReleaseMismatch,
                    $"Kernel {buildId} has patches for release {other.KernelRelease} here, but upstream patch {doc.Name} level {doc.Level} is for {doc.KernelRelease}.");
            }

            if (others.FirstOrDefault(p => p.Level == doc.Level && p.RevokedMs is null && p.Channels.ContainsKey(channel)) is { } clash)
            {
                return new(ProblemCodes.LevelConflict,
                    $"Channel '{channel}' already has a live level {doc.Level} for kernel {buildId} ({clash.Name}, patch {clash.Id}): upstream patch {doc.Name} level {doc.Level} cannot be imported beside it.");
            }
        }

        return null;
    }

    /// <summary>A kernel's patches as they will be once this run is stored.</summary>
    public IEnumerable<PatchDocument> PatchesAfter(string buildId)
    {
        var touched = _touched.Values.Where(d => d.BuildIds.Contains(buildId)).ToList();
        var ids = touched.Where(d => d.Id != 0).Select(d => d.Id).ToHashSet();
        return db.PatchesFor(buildId).Where(p => !ids.Contains(p.Id)).Concat(touched);
    }

    private PatchDocument? NewOrNull(UpstreamPatchKey key)
    {
        if (!plan.Modules.TryGetValue(key, out var module))
        {
            return null;
        }

        _new.Add(key);
        var entry = module.Entry;
        return new PatchDocument
        {
            Name = entry.Name,
            Level = entry.Level,
            Sha256 = entry.Sha256,
            ModuleSha256 = module.ModuleSha256,
            Size = entry.Size,
            Signer = entry.Signer,
            KernelRelease = module.KernelRelease,
            BuildIds = [],
            Channels = [],
            Cves = [.. entry.Cves.Distinct()],
            Severity = entry.Severity,
            Description = entry.Description,
            Replace = entry.Replace,
            PublishedMs = nowMs,
            Publisher = $"upstream:{plan.Index.Repository}",
            UpstreamRepository = plan.Index.Repository,
            UpstreamVersion = (long)plan.Index.Version,
        };
    }
}
