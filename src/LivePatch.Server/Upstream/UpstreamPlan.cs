using LivePatch.Core.Manifests;
using LivePatch.Server.Publishing;
using LivePatch.Server.Storage;

namespace LivePatch.Server.Upstream;

/// <summary>Everything one import run read and verified, before anything is written: the vendor index, its manifests that
/// changed since the last import, and the modules of the patches the site does not hold yet.</summary>
internal sealed record UpstreamPlan(
    RepositoryIndex Index,
    IReadOnlyList<VerifiedManifest> Manifests,
    IReadOnlyDictionary<UpstreamPatchKey, VerifiedModule> Modules,
    IReadOnlyList<UpstreamBinEntry> Bins);

/// <summary>A vendor manifest that verified (signature to a vendor root, identity, freshness, hash against its bin), with the
/// site channel its patches go to.</summary>
internal sealed record VerifiedManifest(string SiteChannel, Manifest Manifest);

/// <summary>A vendor module that passed the publish checks (<see cref="PublishValidator"/>) and matches its manifest entry.</summary>
internal sealed record VerifiedModule(ManifestPatch Entry, byte[] Bytes, string ModuleSha256, string KernelRelease);

/// <summary>What names one vendor patch: vendor manifests carry no patch id, and a site keeps the name, level and blob unchanged.</summary>
internal readonly record struct UpstreamPatchKey(string Name, int Level, string Sha256)
{
    public static UpstreamPatchKey Of(ManifestPatch p) => new(p.Name, p.Level, p.Sha256);

    public static UpstreamPatchKey Of(RevokedPatch p) => new(p.Name, p.Level, p.Sha256);

    public static UpstreamPatchKey Of(PatchDocument p) => new(p.Name, p.Level, p.Sha256);
}

/// <summary>Why an import run stopped: the problem it answers with. Thrown inside a run only, so that the first refusal unwinds
/// the whole verification and nothing of the run is written.</summary>
internal sealed class UpstreamRefusal(RepositoryProblem problem) : Exception(problem.Detail)
{
    public RepositoryProblem Problem { get; } = problem;
}
