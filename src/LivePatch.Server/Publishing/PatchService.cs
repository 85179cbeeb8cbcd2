using LivePatch.Core.Kernel;
using LivePatch.Core.Manifests;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Manifests;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Publishing;

/// <summary>Publishes, promotes and revokes patches: each write is one LiteDB transaction that also re-signs the affected manifests.</summary>
/// <remarks>
/// Order on publish: validate (nothing stored), write the blob (temp, fsync, rename), then one transaction for the
/// patch record and the first batch of its manifests (the other kernels are recorded as pending in the same transaction
/// and rendered batch by batch afterwards, so that the writer lock is never held across a whole bulk signing); a failed
/// transaction deletes the blob it wrote. A crash before the commit leaves at most an unreferenced blob (removed at the
/// next start, <see cref="StoreMaintenance"/>), never a manifest pointing at a missing file; a crash between batches
/// leaves pending kernels, rendered by the re-signer's next pass (the first at start). Writes are serialised by one lock:
/// LiteDB transactions are per thread.
/// </remarks>
public sealed class PatchService(
    RepositoryDatabase db,
    BlobStore blobs,
    ManifestService manifests,
    PublishValidator validator,
    IOptions<RepositoryOptions> options,
    TimeProvider time,
    ILogger<PatchService> logger)
{
    /// <summary>Kernels whose manifests one transaction re-renders and signs: what bounds how long a write holds the writer
    /// lock for signing, whatever the number of kernels it touches.</summary>
    internal const int RenderBatchSize = 32;

    private readonly Lock _writer = new();
    private readonly RepositoryOptions _options = options.Value;

    /// <summary>Test seam: runs before each batch that <see cref="RenderInBatches"/> takes the lock for.</summary>
    internal Action? BetweenBatches { get; set; }

    public Outcome<PatchInfo> Publish(PublishRequest request, string publisher)
    {
        var validated = validator.Validate(request);
        if (validated.Value is not { } module)
        {
            return validated.Problem!;
        }

        return Write(pending =>
        {
            var existing = module.BuildIds.ToDictionary(id => id, PatchesOf);
            var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(request.Module));
            var moduleSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(module.Module.Bytes.Span));
            if (CheckAgainstPublished(existing, module, sha256, moduleSha256, request.Level) is { } problem)
            {
                return problem;
            }

            var level = request.Level ?? NextLevelOrNull(existing.Values, module.Channel);
            if (level is null)
            {
                return new RepositoryProblem(ProblemCodes.LevelExhausted,
                    $"A target kernel already has level {ManifestLimits.MaxLevel} in channel '{module.Channel}', the highest level hosts accept: no level is left above it.");
            }

            var doc = NewDocument(request, module, (sha256, moduleSha256), level.Value, publisher);
            if (CheckBudget(module.Channel, doc.BuildIds, id => [.. existing[id], doc]) is { } tooLarge)
            {
                return tooLarge;
            }

            // Every check has passed: only now does the blob reach the disk.
            var put = blobs.Put(request.Module, out _);
            try
            {
                pending.AddRange(Commit(() => db.Patches.Insert(doc), doc.BuildIds));
            }
            catch when (put == BlobPutResult.Created)
            {
                // The transaction rolled back: a blob no patch references must not stay served. Under the writer lock,
                // no other publish can have come to reference it meanwhile.
                blobs.Delete(sha256);
                throw;
            }

            logger.LogInformation("Published {Name} level {Level} ({Sha256}) for {Kernels} kernel(s) in {Channel} by {Publisher}",
                doc.Name, doc.Level, doc.Sha256, doc.BuildIds.Count, module.Channel, LogText.Printable(publisher));
            return ToInfo(doc);
        });
    }

    private PatchDocument NewDocument(PublishRequest request, ValidatedModule module, (string Blob, string Module) sha256, int level, string publisher)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return new PatchDocument
        {
            Name = module.Module.Info.Name!,
            Level = level,
            Sha256 = sha256.Blob,
            ModuleSha256 = sha256.Module,
            Size = request.Module.Length,
            Signer = module.Signature.KeyId,
            KernelRelease = module.Module.Info.KernelRelease!,
            BuildIds = [.. module.BuildIds],
            Channels = new() { [module.Channel] = now },
            Cves = [.. request.Cves.Distinct()],
            Severity = request.Severity,
            Description = request.Description,
            Replace = request.Replace,
            PublishedMs = now,
            Publisher = publisher,
        };
    }

    public Outcome<PatchInfo> Promote(int id, string channel)
    {
        if (!_options.Channels.Contains(channel))
        {
            return new RepositoryProblem(ProblemCodes.UnknownChannel, $"Unknown channel; this repository has: {string.Join(", ", _options.Channels)}.");
        }

        return Write(pending =>
        {
            if (db.Patches.FindById(id) is not { } doc)
            {
                return NotFound(id);
            }

            if (doc.Channels.ContainsKey(channel))
            {
                return new RepositoryProblem(ProblemCodes.AlreadyInChannel, $"Patch {id} is already in channel '{channel}'.");
            }

            if (doc.RevokedMs is not null)
            {
                return new RepositoryProblem(ProblemCodes.PatchRevoked, $"Patch {id} was revoked ({doc.RevokedReason}); publish a fixed level instead.");
            }

            // A revoked patch does not hold its level: hosts match revocations by module, not by level, and pick the highest
            // level that is not revoked, so a fixed patch at the same level is what they should get.
            var clash = doc.BuildIds.SelectMany(PatchesOf)
                .FirstOrDefault(p => p.Level == doc.Level && p.RevokedMs is null && p.Channels.ContainsKey(channel));
            if (clash is not null)
            {
                return new RepositoryProblem(ProblemCodes.LevelConflict,
                    $"Channel '{channel}' already has a live (not revoked) level {doc.Level} for one of this patch's kernels (patch {clash.Id}).");
            }

            doc.Channels[channel] = time.GetUtcNow().ToUnixTimeMilliseconds();
            if (CheckBudget(channel, doc.BuildIds, buildId => PatchesOf(buildId).Select(p => p.Id == doc.Id ? doc : p)) is { } tooLarge)
            {
                return tooLarge;
            }

            pending.AddRange(Commit(() => db.Patches.Update(doc), doc.BuildIds));
            logger.LogInformation("Promoted patch {Id} ({Name} level {Level}) to {Channel}", id, doc.Name, doc.Level, channel);
            return ToInfo(doc);
        });
    }

    public Outcome<PatchInfo> Revoke(int id, string? reason)
    {
        // Hosts refuse a manifest whose prose carries terminal escapes or NUL (ManifestLimits): never sign one.
        if (string.IsNullOrWhiteSpace(reason) || !ManifestLimits.IsProse(reason, 1000))
        {
            return new RepositoryProblem(ProblemCodes.ReasonRequired,
                "Give a reason (1 to 1000 characters, no control characters but newline and tab): hosts show it when they remove the patch.");
        }

        return Write(pending =>
        {
            if (db.Patches.FindById(id) is not { } doc)
            {
                return NotFound(id);
            }

            if (doc.RevokedMs is not null)
            {
                return new RepositoryProblem(ProblemCodes.PatchRevoked, $"Patch {id} is already revoked.");
            }

            doc.RevokedReason = reason.Trim();
            doc.RevokedMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            pending.AddRange(Commit(() => db.Patches.Update(doc), doc.BuildIds));
            logger.LogWarning("Revoked patch {Id} ({Name} level {Level}): {Reason}", id, doc.Name, doc.Level, LogText.Printable(doc.RevokedReason));
            return ToInfo(doc);
        });
    }

    /// <summary>Re-signs the manifests of these kernels (a new version each), for the expiry timer.</summary>
    public int Resign(IReadOnlyList<string> buildIds)
    {
        return RenderInBatches(buildIds, onlyPending: false);
    }

    /// <summary>Renders what a change committed but did not render yet (a crash or a failure between its batches); the
    /// re-signer calls it on each pass, the first at start.</summary>
    public int CompletePending() => RenderInBatches(db.PendingRenders.FindAll().Select(p => p.Id).ToList(), onlyPending: true);

    public PatchInfo? GetOrNull(int id) => db.Patches.FindById(id) is { } doc ? ToInfo(doc) : null;

    /// <summary>Patches, optionally of one kernel and/or channel; a filter naming nothing that can exist is a problem, not an empty list.</summary>
    public Outcome<IReadOnlyList<PatchInfo>> List(string? buildId, string? channel)
    {
        if (channel is not null && !_options.Channels.Contains(channel))
        {
            return new RepositoryProblem(ProblemCodes.UnknownChannel, $"Unknown channel; this repository has: {string.Join(", ", _options.Channels)}.");
        }

        if (buildId is not null && !Core.Kernel.BuildId.TryParse(buildId, out _))
        {
            return new RepositoryProblem(ProblemCodes.BuildIdInvalid, "The build ID must be 16 to 128 hex digits.");
        }

        var docs = buildId is null ? db.Patches.FindAll() : PatchesOf(Core.Kernel.BuildId.Parse(buildId).Hex);
        return docs.Where(p => channel is null || p.Channels.ContainsKey(channel)).OrderBy(p => p.Id).Select(ToInfo).ToList();
    }

    public IReadOnlyList<KernelInfo> Kernels() => db.Patches.FindAll()
        .SelectMany(p => p.BuildIds.Select(id => (Id: id, Patch: p)))
        .GroupBy(x => x.Id)
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => new KernelInfo
        {
            BuildId = g.Key,
            KernelRelease = g.First().Patch.KernelRelease,
            Patches = g.Count(),
            Levels = _options.Channels
                .Select(c => (Channel: c, Levels: g.Where(x => x.Patch.RevokedMs is null && x.Patch.Channels.ContainsKey(c)).Select(x => x.Patch.Level).ToList()))
                .Where(c => c.Levels.Count > 0)
                .ToDictionary(c => c.Channel, c => c.Levels.Max()),
        })
        .ToList();

    private RepositoryProblem? CheckAgainstPublished(Dictionary<string, List<PatchDocument>> existing, ValidatedModule module, string sha256,
        string moduleSha256, int? level)
    {
        foreach (var (buildId, patches) in existing)
        {
            var release = module.Module.Info.KernelRelease;
            if (patches.FirstOrDefault(p => p.KernelRelease != release) is { } other)
            {
                return new RepositoryProblem(ProblemCodes.KernelReleaseMismatch,
                    $"Kernel {buildId} has patches for release {other.KernelRelease}, but this module's vermagic says {release}: check the build ID.");
            }

            // The module the kernel loads, not the uploaded file: a re-compressed copy is the same patch under a new hash.
            if (patches.FirstOrDefault(p => p.Sha256 == sha256 || p.ModuleSha256 == moduleSha256) is { } same)
            {
                return new RepositoryProblem(ProblemCodes.DuplicateModule,
                    $"This module (compared after decompression) is already published for kernel {buildId} as patch {same.Id} (level {same.Level}).");
            }

            var highest = HighestLevel(patches, module.Channel);
            if (level is { } wanted && wanted <= highest)
            {
                return new RepositoryProblem(ProblemCodes.LevelNotIncreasing,
                    $"Level {wanted} is not above level {highest}, the highest for kernel {buildId} in channel '{module.Channel}'.");
            }
        }

        return null;
    }

    /// <summary>Runs a write under the one writer lock that every write to patches, manifests and blobs takes, then renders,
    /// batch by batch and outside the lock, the kernels its <see cref="Commit"/> left pending (<paramref name="work"/> adds them
    /// to the list it is given).</summary>
    internal Outcome<PatchInfo> Write(Func<List<string>, Outcome<PatchInfo>> work)
    {
        var pending = new List<string>();
        Outcome<PatchInfo> outcome;
        lock (_writer)
        {
            outcome = work(pending);
        }

        RenderInBatches(pending, onlyPending: true);
        return outcome;
    }

    // Hosts refuse a manifest larger than their maxManifestBytes (1 MiB by default) and would then get no update at all.
    private RepositoryProblem? CheckBudget(string channel, IEnumerable<string> buildIds, Func<string, IEnumerable<PatchDocument>> patchesOf) =>
        manifests.FirstOverBudgetOrNull(channel, buildIds, patchesOf) is { } over
            ? new RepositoryProblem(ProblemCodes.ManifestBudgetExceeded,
                $"The '{over.Channel}' manifest of kernel {over.BuildId} would be {over.Bytes} bytes, above this repository's budget of {_options.MaxManifestBytes} "
                + "(LivePatch:MaxManifestBytes): shorten the description or the CVE list, or ask the operator to raise the budget.")
            : null;

    /// <summary>Makes the change and re-signs the first <see cref="RenderBatchSize"/> kernels' manifests in one transaction, which
    /// also records the other kernels as pending; call under the writer lock. Returns the pending kernels, for
    /// <see cref="Write"/> to render after the lock is released.</summary>
    internal IReadOnlyList<string> Commit(Action change, IReadOnlyList<string> buildIds)
    {
        var kernels = buildIds.Distinct(StringComparer.Ordinal).ToList();
        var rest = kernels.Skip(RenderBatchSize).ToList();
        var rendered = db.InTransaction(() =>
        {
            change();
            db.PendingRenders.Upsert(rest.Select(k => new PendingRenderDocument { Id = k }));
            return manifests.RenderInTransaction(kernels.Take(RenderBatchSize));
        });
        manifests.Apply(rendered);
        return rest;
    }

    /// <summary>Renders and signs these kernels' manifests, one batch per turn of the writer lock, so that another write
    /// (an emergency revoke) waits for one batch, never for a whole bulk publish or re-sign.</summary>
    /// <param name="buildIds">The kernels.</param>
    /// <param name="onlyPending">Render only kernels still marked pending (another thread may have rendered them meanwhile).</param>
    private int RenderInBatches(IReadOnlyList<string> buildIds, bool onlyPending)
    {
        var count = 0;
        foreach (var batch in buildIds.Distinct(StringComparer.Ordinal).Chunk(RenderBatchSize))
        {
            BetweenBatches?.Invoke();
            lock (_writer)
            {
                var kernels = onlyPending ? batch.Where(k => db.PendingRenders.FindById(k) is not null).ToList() : [.. batch];
                var rendered = db.InTransaction(() =>
                {
                    foreach (var kernel in kernels)
                    {
                        db.PendingRenders.Delete(kernel);
                    }

                    return manifests.RenderInTransaction(kernels);
                });
                manifests.Apply(rendered);
                count += rendered.Count;
            }
        }

        return count;
    }

    private List<PatchDocument> PatchesOf(string buildId) =>
        db.PatchesFor(BuildId.TryParse(buildId, out var id) ? id.Hex : buildId);

    // A publish never reuses a level of the channel, revoked ones included: a new build never takes a revoked number.
    // (A promotion keeps its level and is blocked only by a live one: docs/api.md, "Levels across channels".)
    private static int HighestLevel(IEnumerable<PatchDocument> patches, string channel) =>
        patches.Where(p => p.Channels.ContainsKey(channel)).Select(p => p.Level).DefaultIfEmpty(0).Max();

    // Null when a target kernel is at MaxLevel: one more would be a manifest every host refuses (and, at int.MaxValue, overflow).
    private static int? NextLevelOrNull(IEnumerable<List<PatchDocument>> patches, string channel) =>
        patches.Select(p => HighestLevel(p, channel)).DefaultIfEmpty(0).Max() is var highest and < ManifestLimits.MaxLevel ? highest + 1 : null;

    private static RepositoryProblem NotFound(int id) => new RepositoryProblem(ProblemCodes.PatchNotFound, $"There is no patch {id}.");

    internal PatchInfo ToInfo(PatchDocument p) => new()
    {
        Id = p.Id,
        Name = p.Name,
        Level = p.Level,
        Sha256 = p.Sha256,
        Size = p.Size,
        Signer = p.Signer,
        KernelRelease = p.KernelRelease,
        BuildIds = p.BuildIds,
        Channels = _options.Channels.Where(p.Channels.ContainsKey).ToList(),
        Cves = p.Cves,
        Severity = p.Severity,
        Description = p.Description,
        Replace = p.Replace,
        Published = DateTimeOffset.FromUnixTimeMilliseconds(p.PublishedMs),
        Publisher = p.Publisher,
        Revoked = p.RevokedMs is { } at ? new PatchRevocation(p.RevokedReason ?? "", DateTimeOffset.FromUnixTimeMilliseconds(at)) : null,
    };
}
