using LivePatch.Core.Manifests;
using LivePatch.Core.Repository;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Hosts;

// CVE exposure and patch health: questions about every reporting host, answered from the in-memory facts.
public sealed partial class FleetQueries
{
    /// <summary>What <see cref="CveHost.Status"/> says.</summary>
    public const string Fixed = "fixed";
    public const string NoFix = "no-fix";
    public const string FixNotInChannel = "fix-not-in-channel";
    public const string NotApplied = "not-applied";

    /// <summary>Which kernels have a live patch naming <paramref name="cve"/>, and which hosts run a level that fixes it.</summary>
    /// <remarks>Levels are cumulative within a kernel's channel (atomic replace), and independent between channels: a host is
    /// fixed when it runs a live patch that names the CVE, or a level at or above the lowest such level of its kernel in the
    /// channel it follows. A kernel without such a patch leaves its hosts exposed: the repository cannot tell a kernel that
    /// never had the flaw from one nobody has patched.</remarks>
    public Outcome<CveExposure> Cve(string cve)
    {
        if (!ManifestLimits.IsCveId(cve))
        {
            return new RepositoryProblem(ProblemCodes.CveInvalid, "Not a CVE id like CVE-2024-1086 (ASCII digits).");
        }

        var fixes = db.AllPatches().Where(p => p.RevokedMs is null && p.Cves.Contains(cve, StringComparer.Ordinal)).ToList();
        var byKernel = new SortedDictionary<string, List<PatchDocument>>(StringComparer.Ordinal);
        foreach (var (buildId, patch) in fixes.SelectMany(p => p.BuildIds.Distinct(StringComparer.Ordinal).Select(b => (b, p))))
        {
            (byKernel.TryGetValue(buildId, out var list) ? list : byKernel[buildId] = []).Add(patch);
        }

        var hosts = store.Snapshot().OrderBy(h => h.MachineId, StringComparer.Ordinal).Select(h => ExposureOf(h, byKernel)).ToList();
        var exposed = hosts.Where(h => h.Status != Fixed).ToList();
        return new CveExposure
        {
            Cve = cve,
            KernelCount = byKernel.Count,
            Kernels = [.. byKernel.Take(FleetLimits.MaxKernelsListed).Select(k => new CveKernel(k.Key, k.Value[0].KernelRelease,
                [.. k.Value.OrderBy(p => p.Level).ThenBy(p => p.Id).Select(p => new CvePatch(p.Id, p.Name, p.Level, ChannelsOf(p)))]))],
            Hosts = new CveHostCounts(hosts.Count, hosts.Count - exposed.Count, exposed.Count, exposed.Count(h => h.Status == NoFix),
                exposed.Count(h => h.Status == FixNotInChannel), exposed.Count(h => h.Status == NotApplied)),
            Exposed = [.. exposed.Take(FleetLimits.MaxHostsListed)],
            Fixed = [.. hosts.Where(h => h.Status == Fixed).Take(FleetLimits.MaxHostsListed)],
        };
    }

    /// <summary>How many hosts run the patch, failed on it in their last run, or ran it once and no longer do.</summary>
    /// <remarks>A patch is its blob on its kernels: a host counts when its kernel is one of the patch's build IDs and the SHA-256
    /// it reports is the patch's (the same file published separately for other kernels is another patch).</remarks>
    public Outcome<PatchHealth> PatchHealth(int id)
    {
        if (db.Patches.FindById(id) is not { } patch)
        {
            return new RepositoryProblem(ProblemCodes.PatchNotFound, $"There is no patch {id}.");
        }

        var kernels = patch.BuildIds.ToHashSet(StringComparer.Ordinal);
        var (applied, removed, failed) = (0, 0, new List<HostFacts>());
        foreach (var host in store.Snapshot())
        {
            var runs = kernels.Contains(host.BuildId) && host.Runs(patch.Sha256);
            applied += runs ? 1 : 0;
            removed += !runs && host.Removed.Any(r => r.Sha256 == patch.Sha256 && kernels.Contains(r.BuildId)) ? 1 : 0;
            if (host.Action == "failed" && host.TargetSha256 == patch.Sha256 && kernels.Contains(host.BuildId))
            {
                failed.Add(host);
            }
        }

        return new PatchHealth
        {
            PatchId = patch.Id,
            Name = patch.Name,
            Level = patch.Level,
            KernelRelease = patch.KernelRelease,
            Revoked = patch.RevokedMs is not null,
            Applied = applied,
            Failed = failed.Count,
            Removed = removed,
            FailedHosts = [.. failed.OrderBy(h => h.MachineId, StringComparer.Ordinal).Take(FleetLimits.MaxHostsListed)
                .Select(h => new PatchHealthHost(h.MachineId, h.Hostname, h.Code, DateTimeOffset.FromUnixTimeMilliseconds(h.ReceivedMs)))],
        };
    }

    private static CveHost ExposureOf(HostFacts host, SortedDictionary<string, List<PatchDocument>> byKernel)
    {
        var fixes = byKernel.GetValueOrDefault(host.BuildId) ?? [];
        var inChannel = fixes.Where(p => p.Channels.ContainsKey(host.Channel)).ToList();
        int? fixLevel = inChannel.Count > 0 ? inChannel.Min(p => p.Level) : fixes.Count > 0 ? fixes.Min(p => p.Level) : null;
        var level = host.HighestLevel;
        var status = fixes.Any(p => host.Runs(p.Sha256)) || (inChannel.Count > 0 && level >= fixLevel) ? Fixed
            : fixes.Count == 0 ? NoFix
            : inChannel.Count == 0 ? FixNotInChannel
            : NotApplied;
        return new CveHost
        {
            MachineId = host.MachineId,
            Hostname = host.Hostname,
            BuildId = host.BuildId,
            Release = host.Release,
            Channel = host.Channel,
            Status = status,
            Level = level == 0 ? null : level,
            FixLevel = fixLevel,
        };
    }

    private IReadOnlyList<string> ChannelsOf(PatchDocument patch) => [.. repository.Value.Channels.Where(patch.Channels.ContainsKey)];
}
