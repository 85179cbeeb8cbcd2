using System.Runtime.InteropServices;
using LivePatch.Core.Kernel;
using LivePatch.Core.Manifests;
using LivePatch.Core.Repository;
using LivePatch.Server.Audit;
using LivePatch.Server.Configuration;
using LivePatch.Server.Manifests;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Publishing;

/// <summary>Publishes, promotes and revokes patches: the checks, then the change through <see cref="ManifestWriter"/>, which re-signs the affected manifests.</summary>
/// <remarks>
/// Order on publish: validate (nothing stored), write the blob (temp, fsync, rename), then one transaction for the
/// patch record and the first batch of its manifests (<see cref="ManifestWriter"/>: the rest follow batch by batch); a
/// failed transaction deletes the blob it wrote. A crash before the commit leaves at most an unreferenced blob (removed
/// at the next start, <see cref="StoreMaintenance"/>), never a manifest pointing at a missing file.
/// </remarks>
public sealed class PatchService(
    RepositoryDatabase db,
    BlobStore blobs,
    ManifestService manifests,
    ManifestWriter writer,
    PublishValidator validator,
    IOptions<RepositoryOptions> options,
    TimeProvider time,
    ILogger<PatchService> logger)
{
    private readonly RepositoryOptions _options = options.Value;


    /// <summary>Validates the module (nothing stored on a refusal), then publishes it under the writer lock; with
    /// <paramref name="audit"/>, its audit record is stored in the publish's transaction (a refusal before the writer is
    /// left to the caller's <see cref="AuditedWrite{T}.Complete"/>).</summary>
    public Outcome<PatchInfo> Publish(PublishRequest request, string publisher, AuditedWrite<PatchInfo>? audit = null)
    {
        var validated = validator.Validate(request);
        if (validated.Value is not { } module)
        {
            return validated.Problem!;
        }

        return writer.Write<PatchInfo>(batches =>
        {
            var planned = Plan(request, module, PatchesOf, publisher);
            if (planned.Problem is { } problem)
            {
                return problem;
            }

            var doc = planned.Value!;
            // Every check has passed: only now does the blob reach the disk.
            if (blobs.Put(request.Module, out _) == BlobPutResult.Created)
            {
                // Should the transaction roll back, a blob no patch references must not stay served. Under the writer lock,
                // no other publish can have come to reference it meanwhile (one in the same group rolls back with it).
                batches.OnRollback(() => blobs.Delete(doc.Sha256));
            }

            writer.Commit(() => db.InsertPatch(doc), doc.BuildIds, batches);

            logger.LogInformation("Published {Name} level {Level} ({Sha256}) for {Kernels} kernel(s) in {Channel} by {Publisher}",
                doc.Name, doc.Level, doc.Sha256, doc.BuildIds.Count, module.Channel, LogText.Printable(publisher));
            return ToInfo(doc);
        }, audit);
    }

    /// <summary>Validates every module of a batch (nothing stored on a refusal), then, under the writer lock, checks each
    /// patch against what is published and against the batch's earlier patches, and stores them all in one write: every
    /// patch or none. A refusal names the patch (its place in the batch and its module) and carries that patch's code.</summary>
    /// <remarks>One transaction, one flush of the modules' files and one signing of each bin and of the index for the whole
    /// batch: what lets a vendor's CI publish a module for each of a thousand kernels at close to the signing rate, where a
    /// request per patch pays a commit, fsyncs and the bins each (docs/performance.md). Manifests are signed batch by batch
    /// as for a bulk publish, so a revoke waits for one batch, never for the whole of it.</remarks>
    public Outcome<PublishedBatch> PublishBatch(IReadOnlyList<BatchedPublish> patches, string publisher, AuditedWrite<PublishedBatch>? audit = null)
    {
        if (patches.Count == 0)
        {
            return new RepositoryProblem(ProblemCodes.BatchInvalid, "The batch names no patches.");
        }

        if (patches.Count > MaxPatchesPerBatch)
        {
            return new RepositoryProblem(ProblemCodes.TooManyPatches, $"One batch may hold at most {MaxPatchesPerBatch} patches; split it.");
        }

        if (patches.Sum(p => (long)p.Request.BuildIds.Count) > PublishValidator.MaxBuildIdsPerPublish)
        {
            return new RepositoryProblem(ProblemCodes.TooManyBuildIds,
                $"One batch may target at most {PublishValidator.MaxBuildIdsPerPublish} kernels in all (its patches' build IDs together); split it.");
        }

        // Each module's checks (its ELF and its signature: the RSA verification is most of a batch's work before the writer
        // lock) need nothing but the module, so they run on every core the server has; the refusal reported is the first
        // in batch order, as a pass one by one would report it.
        var validated = new Outcome<ValidatedModule>[patches.Count];
        Parallel.For(0, patches.Count, i => validated[i] = validator.Validate(patches[i].Request));
        var modules = new List<ValidatedModule>(patches.Count);
        for (var i = 0; i < patches.Count; i++)
        {
            if (validated[i].Problem is { } problem)
            {
                return InBatch(i, patches[i], problem);
            }

            modules.Add(validated[i].Value!);
        }

        return writer.Write<PublishedBatch>(batches =>
        {
            // The batch's earlier patches, per kernel: each later one is checked (levels, duplicates, budget) as if they were stored.
            var earlier = new Dictionary<string, List<PatchDocument>>(StringComparer.Ordinal);
            List<PatchDocument> PatchesWithEarlier(string buildId) =>
                earlier.TryGetValue(buildId, out var batched) ? [.. PatchesOf(buildId), .. batched] : PatchesOf(buildId);

            var docs = new List<PatchDocument>(patches.Count);
            for (var i = 0; i < patches.Count; i++)
            {
                var planned = Plan(patches[i].Request, modules[i], PatchesWithEarlier, publisher);
                if (planned.Problem is { } problem)
                {
                    return InBatch(i, patches[i], problem);
                }

                var doc = planned.Value!;
                docs.Add(doc);
                foreach (var buildId in doc.BuildIds)
                {
                    (CollectionsMarshal.GetValueRefOrAddDefault(earlier, buildId, out _) ??= []).Add(doc);
                }
            }

            // Every check has passed: only now do the modules reach the disk; those this wrote go again on a rollback.
            var created = new List<string>();
            batches.OnRollback(() => created.ForEach(sha256 => blobs.Delete(sha256)));
            blobs.PutMany(patches.Select(p => (ReadOnlyMemory<byte>)p.Request.Module), created);

            writer.Commit(() => db.InsertPatches(docs), [.. docs.SelectMany(doc => doc.BuildIds)], batches);
            logger.LogInformation("Published a batch of {Patches} patches (ids {First} to {Last}) for {Kernels} kernel(s) by {Publisher}",
                docs.Count, docs[0].Id, docs[^1].Id, docs.Sum(doc => doc.BuildIds.Count), LogText.Printable(publisher));
            return new PublishedBatch { Patches = [.. docs.Select(ToInfo)] };
        }, audit);
    }

    /// <summary>Patches one batch may hold: a vendor's CI run (a module for each kernel it builds for), bounded so that one
    /// request's checks and memory stay bounded too (LivePatch:MaxBatchBytes bounds its bytes).</summary>
    public const int MaxPatchesPerBatch = 1000;

    private static RepositoryProblem InBatch(int index, BatchedPublish patch, RepositoryProblem problem) =>
        new(problem.Error, $"Patch {index + 1} of the batch (module '{LogText.Printable(patch.Module)}'): {problem.Detail}");

    /// <summary>Under the writer lock: checks a validated module against the patches of its kernels
    /// (<paramref name="patchesOf"/>), and makes the document to store; nothing is stored here.</summary>
    private Outcome<PatchDocument> Plan(PublishRequest request, ValidatedModule module, Func<string, List<PatchDocument>> patchesOf, string publisher)
    {
        var existing = module.BuildIds.ToDictionary(id => id, patchesOf);
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
        return CheckBudget(module.Channel, doc.BuildIds, id => [.. existing[id], doc]) is { } tooLarge ? tooLarge : doc;
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

    public Outcome<PatchInfo> Promote(int id, string channel, AuditedWrite<PatchInfo>? audit = null)
    {
        if (!_options.Channels.Contains(channel))
        {
            return new RepositoryProblem(ProblemCodes.UnknownChannel, $"Unknown channel; this repository has: {string.Join(", ", _options.Channels)}.");
        }

        return writer.Write<PatchInfo>(batches =>
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

            writer.Commit(() => db.UpdatePatch(doc), doc.BuildIds, batches);
            logger.LogInformation("Promoted patch {Id} ({Name} level {Level}) to {Channel}", id, doc.Name, doc.Level, channel);
            return ToInfo(doc);
        }, audit);
    }

    public Outcome<PatchInfo> Revoke(int id, string? reason, AuditedWrite<PatchInfo>? audit = null)
    {
        // Hosts refuse a manifest whose prose carries terminal escapes or NUL (ManifestLimits): never sign one.
        if (string.IsNullOrWhiteSpace(reason) || !ManifestLimits.IsProse(reason, 1000))
        {
            return new RepositoryProblem(ProblemCodes.ReasonRequired,
                "Give a reason (1 to 1000 characters, no control characters but newline and tab): hosts show it when they remove the patch.");
        }

        return writer.Write<PatchInfo>(batches =>
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
            writer.Commit(() => db.UpdatePatch(doc), doc.BuildIds, batches);
            logger.LogWarning("Revoked patch {Id} ({Name} level {Level}): {Reason}", id, doc.Name, doc.Level, LogText.Printable(doc.RevokedReason));
            return ToInfo(doc);
        }, audit);
    }

    public PatchInfo? GetOrNull(int id) => db.Patches.FindById(id) is { } doc ? ToInfo(doc) : null;

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

    // Hosts refuse a manifest larger than their maxManifestBytes (1 MiB by default) and would then get no update at all.
    private RepositoryProblem? CheckBudget(string channel, IEnumerable<string> buildIds, Func<string, IEnumerable<PatchDocument>> patchesOf) =>
        manifests.FirstOverBudgetOrNull(channel, buildIds, patchesOf) is { } over
            ? new RepositoryProblem(ProblemCodes.ManifestBudgetExceeded,
                $"The '{over.Channel}' manifest of kernel {over.BuildId} would be {over.Bytes} bytes, above this repository's budget of {_options.MaxManifestBytes} "
                + "(LivePatch:MaxManifestBytes): shorten the description or the CVE list, or ask the operator to raise the budget.")
            : null;

    // In the change's transaction: the kernel listing shows a promotion or a revocation with the manifests that do.
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
