using LivePatch.Core.Repository;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Hosts;

/// <summary>What the repository holds for one kernel build, as the host states need it: live levels per channel, and which
/// patch a blob SHA-256 is.</summary>
public sealed class KernelPatches(IReadOnlyList<PatchDocument> patches)
{
    /// <summary>The highest level of a live (not revoked) patch of the kernel in <paramref name="channel"/>; null when there is none.</summary>
    public int? HighestLive(string channel) =>
        patches.Where(p => p.RevokedMs is null && p.Channels.ContainsKey(channel)).Select(p => (int?)p.Level).Max();

    /// <summary>The kernel's patch with this blob, revoked or not; null when the repository has none (deleted, or never here).</summary>
    public PatchDocument? BySha256OrNull(string sha256) => patches.FirstOrDefault(p => p.Sha256 == sha256);

    public bool IsRevoked(string sha256) => BySha256OrNull(sha256)?.RevokedMs is not null;
}

/// <summary>Reads <see cref="KernelPatches"/> from the in-memory patch catalog once per kernel for one question, however many
/// hosts run that kernel.</summary>
public sealed class KernelPatchCache(RepositoryDatabase db)
{
    private readonly Dictionary<string, KernelPatches> _kernels = new(StringComparer.Ordinal);

    public KernelPatches For(string buildId)
    {
        if (!_kernels.TryGetValue(buildId, out var kernel))
        {
            _kernels[buildId] = kernel = new KernelPatches(db.PatchesFor(buildId));
        }

        return kernel;
    }
}

/// <summary>The states of a host from its last report and the repository's current patches (docs/reports.md, "States").</summary>
/// <remarks>
/// A host may be in several at once: revoked-still-loaded, apply-failed, stale and held add to exactly one of behind,
/// not-covered and patched. <see cref="HostStates.All"/> orders them; a host's <c>state</c> is the first that applies, and
/// that is what the listing filters on and the summary counts, so every host is counted once.
/// </remarks>
public static class HostStateRules
{
    /// <summary>lpatch's exit code for a loader failure (ErrorCategory.Loader): the module did not load, or was quarantined.</summary>
    public const int LoaderExitCode = 4;

    /// <summary>Every state that applies to <paramref name="host"/>, in precedence order.</summary>
    public static List<string> StatesOf(HostFacts host, KernelPatches kernel, DateTimeOffset now, TimeSpan staleAfter)
    {
        var states = new List<string>(3);
        if (host.Applied.Any(a => kernel.IsRevoked(a.Sha256)))
        {
            states.Add(HostStates.RevokedStillLoaded);
        }

        if (host.Action == "failed" && host.ExitCode == LoaderExitCode)
        {
            states.Add(HostStates.ApplyFailed);
        }

        if (IsStale(host, now, staleAfter))
        {
            states.Add(HostStates.Stale);
        }

        if (host.HasHolds)
        {
            states.Add(HostStates.Held);
        }

        states.Add(LevelState(host, kernel));
        return states;
    }

    public static bool IsStale(HostFacts host, DateTimeOffset now, TimeSpan staleAfter) =>
        now.ToUnixTimeMilliseconds() - host.ReceivedMs > staleAfter.TotalMilliseconds;

    /// <summary>not-covered, behind or patched: the host's highest live level against the repository's for its kernel and channel.
    /// A revoked patch it still runs does not count as a level it has (it is on its way off).</summary>
    private static string LevelState(HostFacts host, KernelPatches kernel)
    {
        if (kernel.HighestLive(host.Channel) is not { } available)
        {
            return HostStates.NotCovered;
        }

        var running = host.Applied.Where(a => !kernel.IsRevoked(a.Sha256)).Select(a => a.Level).DefaultIfEmpty(0).Max();
        return running >= available ? HostStates.Patched : HostStates.Behind;
    }
}
