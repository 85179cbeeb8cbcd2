using System.Globalization;
using LiteDB;
using LivePatch.Core.Kernel;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Publishing;

/// <summary>The listings of patches and kernels, one bounded page at a time (docs/api.md, "Listings").</summary>
/// <remarks>
/// Both are anonymous, so what one request costs must not grow with the repository: a page reads the documents after its
/// cursor through an index, in the index's order, and stops at its bounds; nothing is read whole, and nothing is sorted
/// but the few patches of one kernel.
/// </remarks>
public sealed class PatchListings(RepositoryDatabase db, KernelCatalog kernels, PatchService patches, IOptions<RepositoryOptions> options)
{
    /// <summary>Patches one page reads at most, whether they match its channel filter or not: with a filter few patches
    /// match, a page ends short (even empty) with a cursor rather than reading on through the repository.</summary>
    public const int MaxPatchesReadPerPage = PageLimits.MaxLimit;

    /// <summary>Build IDs the patches one page reads may name between them before the page ends (a page always holds at
    /// least one patch): one bulk publish names up to 10,000 kernels, and a page of 1,000 of those would be gigabytes.</summary>
    public const int MaxBuildIdsReadPerPage = 10_000;

    private readonly RepositoryOptions _options = options.Value;

    /// <summary>Test seam: <see cref="MaxBuildIdsReadPerPage"/>, lower in a test than 10,000 kernels' worth of publishing.</summary>
    internal int BuildIdsReadPerPage { get; set; } = MaxBuildIdsReadPerPage;

    /// <summary>A page of patches in id order, optionally of one kernel and/or channel; a filter naming nothing that can
    /// exist is a problem, not an empty page.</summary>
    public Outcome<ListPage<PatchInfo>> Patches(string? buildId, string? channel, string? after, string? limit)
    {
        if (LimitOrNull(limit) is not { } count)
        {
            return LimitInvalid();
        }

        if (PatchCursorOrNull(after) is not { } afterId)
        {
            return new RepositoryProblem(ProblemCodes.PageInvalid,
                "'after' must be a patch id (a whole number, 0 or more): the 'next' of the page before.");
        }

        if (channel is not null && !_options.Channels.Contains(channel))
        {
            return new RepositoryProblem(ProblemCodes.UnknownChannel, $"Unknown channel; this repository has: {string.Join(", ", _options.Channels)}.");
        }

        if (buildId is not null && !BuildId.TryParse(buildId, out _))
        {
            return new RepositoryProblem(ProblemCodes.BuildIdInvalid, "The build ID must be 16 to 128 hex digits.");
        }

        var candidates = buildId is null ? PatchesAfter(afterId) : PatchesOfKernel(BuildId.Parse(buildId).Hex, afterId, channel);
        return PageOf(candidates, patch => channel is null || patch.Channels.ContainsKey(channel), count);
    }

    /// <summary>A page of the kernels with patches, in build ID order.</summary>
    public Outcome<ListPage<KernelInfo>> Kernels(string? after, string? limit)
    {
        if (LimitOrNull(limit) is not { } count)
        {
            return LimitInvalid();
        }

        string? afterId = null;
        if (after is not null)
        {
            if (!BuildId.TryParse(after, out var id))
            {
                return new RepositoryProblem(ProblemCodes.PageInvalid,
                    "'after' must be a build ID (16 to 128 hex digits): the 'next' of the page before.");
            }

            afterId = id.Hex;
        }

        var page = kernels.After(afterId, count + 1); // one more than the page: whether a next page exists
        return new ListPage<KernelInfo>
        {
            Items = [.. page.Take(count).Select(ToInfo)],
            Next = page.Count > count ? page[count - 1].Id : null,
        };
    }

    /// <summary>One kernel as the kernel listing shows it, or null when no patch targets it.</summary>
    public KernelInfo? KernelOrNull(string buildId) =>
        BuildId.TryParse(buildId, out var id) && kernels.FindOrNull(id.Hex) is { } kernel ? ToInfo(kernel) : null;

    // Every patch after the cursor, in id order through the primary key index; PageOf stops reading where the page ends.
    private IEnumerable<PatchDocument> PatchesAfter(int afterId) => PatchesAfterQuery(afterId).Limit(MaxPatchesReadPerPage + 1).ToEnumerable();

    /// <summary>LiteDB's plan of a page's query, for tests: which index, and whether it sorts.</summary>
    internal BsonDocument PatchesAfterPlan(int afterId) => PatchesAfterQuery(afterId).Limit(1).GetPlan();

    private ILiteQueryable<PatchDocument> PatchesAfterQuery(int afterId) => db.Patches.Query().Where("_id > @0", afterId).OrderBy("_id");

    // The kernel's patches after the cursor and in the channel, in id order, from memory (the patch catalog).
    private IEnumerable<PatchDocument> PatchesOfKernel(string buildId, int afterId, string? channel) =>
        db.PatchesFor(buildId).Where(p => p.Id > afterId && (channel is null || p.Channels.ContainsKey(channel))).OrderBy(p => p.Id);

    /// <summary>Takes <paramref name="wanted"/> patches from <paramref name="candidates"/> (in id order) until the page is full
    /// or has read its share; <c>next</c> is then the last patch read, and null only when the candidates ran out.</summary>
    private ListPage<PatchInfo> PageOf(IEnumerable<PatchDocument> candidates, Func<PatchDocument, bool> wanted, int limit)
    {
        var items = new List<PatchInfo>();
        var (read, buildIds, last) = (0, 0, 0);
        foreach (var patch in candidates)
        {
            if (items.Count == limit || read == MaxPatchesReadPerPage || buildIds >= BuildIdsReadPerPage)
            {
                return new ListPage<PatchInfo> { Items = items, Next = last.ToString(CultureInfo.InvariantCulture) };
            }

            (read, buildIds, last) = (read + 1, buildIds + patch.BuildIds.Count, patch.Id);
            if (wanted(patch))
            {
                items.Add(patches.ToInfo(patch));
            }
        }

        return new ListPage<PatchInfo> { Items = items, Next = null };
    }

    private KernelInfo ToInfo(KernelListingEntry kernel) => new()
    {
        BuildId = kernel.Id,
        KernelRelease = kernel.KernelRelease,
        Patches = kernel.Patches.Count,
        Levels = _options.Channels
            .Select(c => (Channel: c, Live: kernel.Patches.Where(p => !p.Revoked && p.Channels.Contains(c)).Select(p => p.Level).DefaultIfEmpty(0).Max()))
            .Where(c => c.Live > 0) // levels start at 1: 0 is "no live patch in this channel"
            .ToDictionary(c => c.Channel, c => c.Live),
    };

    internal static int? LimitOrNull(string? text) => text is null ? PageLimits.DefaultLimit
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= PageLimits.MaxLimit ? limit
        : null;

    private static int? PatchCursorOrNull(string? text) => text is null ? 0
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id
        : null;

    internal static RepositoryProblem LimitInvalid() => new(ProblemCodes.PageInvalid,
        $"'limit' must be a whole number from 1 to {PageLimits.MaxLimit} (records per page; {PageLimits.DefaultLimit} when left out).");
}
