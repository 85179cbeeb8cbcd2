using System.Text.RegularExpressions;
using LivePatch.Core;
using LivePatch.Core.Kernel;
using LivePatch.Core.Manifests;
using LivePatch.Core.Modules;
using LivePatch.Core.Repository;
using LivePatch.Core.Signing;
using LivePatch.Server.Configuration;

namespace LivePatch.Server.Publishing;

/// <summary>A module that passed every check that needs no stored state, with what the checks read from it.</summary>
public sealed record ValidatedModule(ModuleFile Module, ModuleSignatureInfo Signature, IReadOnlyList<string> BuildIds, string Channel);

/// <summary>The checks a publish passes before anything is stored, in order, each refusal with its own code.</summary>
public sealed partial class PublishValidator(RepositoryOptions options, RepositoryKeys keys)
{
    private const int MaxDescriptionLength = 4096;

    /// <summary>Kernels one publish may target; more is a batch job for several requests.</summary>
    public const int MaxBuildIdsPerPublish = 10_000;
    private static readonly string[] Severities = ["low", "medium", "high", "critical"];

    public Outcome<ValidatedModule> Validate(PublishRequest request)
    {
        var problem = CheckBuildIds(request) ?? CheckChannel(request.Channel) ?? CheckMetadata(request) ?? CheckSize(request.Module);
        if (problem is not null)
        {
            return problem;
        }

        ModuleFile module;
        try
        {
            module = ModuleFile.Read(request.Module, (int)options.MaxModuleBytes);
        }
        catch (LivePatchFormatException e)
        {
            return new RepositoryProblem(e.Error, $"The uploaded file is not a readable kernel module: {e.Message}");
        }

        problem = CheckLivepatch(module);
        if (problem is not null)
        {
            return problem;
        }

        var verification = new ModuleVerifier(keys.ModuleKeyring).Verify(module.Bytes.Span);
        if (!verification.IsValid)
        {
            return new RepositoryProblem(verification.Issue!.Error,
                $"The module signature is not accepted by this repository's module keyring: {verification.Issue.Message}");
        }

        var buildIds = request.BuildIds.Select(id => BuildId.Parse(id).Hex).Distinct().ToList();
        return new ValidatedModule(module, verification.Signature!, buildIds, request.Channel ?? options.Channels[0]);
    }

    private static RepositoryProblem? CheckBuildIds(PublishRequest request)
    {
        if (request.BuildIds.Count == 0)
        {
            return new RepositoryProblem(ProblemCodes.BuildIdRequired, "Name at least one target kernel with a 'buildId' field (the kernel's GNU build ID in hex).");
        }

        if (request.BuildIds.Count > MaxBuildIdsPerPublish)
        {
            return new RepositoryProblem(ProblemCodes.TooManyBuildIds, $"One publish may target at most {MaxBuildIdsPerPublish} kernels; split the list.");
        }

        var bad = request.BuildIds.FirstOrDefault(id => !BuildId.TryParse(id, out _));
        return bad is null ? null : new RepositoryProblem(ProblemCodes.BuildIdInvalid,
            $"'{Shorten(bad)}' is not a build ID: expected 16 to 128 hex digits, as 'lpatch kernel build-id' prints.");
    }

    private RepositoryProblem? CheckChannel(string? channel) =>
        channel is null || options.Channels.Contains(channel) ? null : new RepositoryProblem(ProblemCodes.UnknownChannel,
            $"Unknown channel '{Shorten(channel)}'; this repository has: {string.Join(", ", options.Channels)}.");

    private static RepositoryProblem? CheckMetadata(PublishRequest request)
    {
        // Above MaxLevel every host would refuse the manifest as manifest-malformed.
        if (request.Level is < 1 or > ManifestLimits.MaxLevel)
        {
            return new RepositoryProblem(ProblemCodes.LevelInvalid, $"The level must be a whole number from 1 to {ManifestLimits.MaxLevel}.");
        }

        if (request.Cves.Count > ManifestLimits.MaxCvesPerPatch)
        {
            return new RepositoryProblem(ProblemCodes.CveInvalid, $"A patch may name at most {ManifestLimits.MaxCvesPerPatch} CVE ids.");
        }

        var badCve = request.Cves.FirstOrDefault(c => !CveId().IsMatch(c));
        if (badCve is not null)
        {
            return new RepositoryProblem(ProblemCodes.CveInvalid, $"'{Shorten(badCve)}' is not a CVE id like CVE-2024-1086.");
        }

        if (request.Severity is not null && !Severities.Contains(request.Severity))
        {
            return new RepositoryProblem(ProblemCodes.SeverityInvalid, $"Severity must be one of {string.Join(", ", Severities)}.");
        }

        // Checked with the manifest's own rule, which signing applies: a terminal escape is refused here, not by a 500.
        return request.Description is { } description && !Core.Manifests.ManifestLimits.IsProse(description, MaxDescriptionLength)
            ? new RepositoryProblem(ProblemCodes.DescriptionTooLong,
                $"The description is longer than {MaxDescriptionLength} characters or holds a control character other than newline and tab.")
            : null;
    }

    private RepositoryProblem? CheckSize(byte[] module) =>
        module.Length <= options.MaxModuleBytes ? null : new RepositoryProblem(ProblemCodes.ModuleTooLarge, $"The module is {module.Length} bytes; this repository accepts at most {options.MaxModuleBytes}.");

    private static RepositoryProblem? CheckLivepatch(ModuleFile module)
    {
        if (!module.Info.IsLivepatch)
        {
            return new RepositoryProblem(ProblemCodes.NotLivepatch,
                "The module's .modinfo has no livepatch=Y: it is not a livepatch module (MODULE_INFO(livepatch, \"Y\")).");
        }

        if (!ModuleNames.IsValid(module.Info.Name))
        {
            return new RepositoryProblem(ProblemCodes.ModuleNameInvalid,
                $"The module name '{Shorten(module.Info.Name ?? "")}' must be 1 to {ModuleNames.MaxLength} characters of [A-Za-z0-9_-].");
        }

        return module.Info.KernelRelease is null ? new RepositoryProblem(ProblemCodes.KernelReleaseMissing,
            "The module's .modinfo has no vermagic, so the kernel release it was built for is unknown.") : null;
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";

    // ASCII digits only, as hosts require (ManifestRules): \d would accept Arabic-Indic digits, $ a final newline.
    [GeneratedRegex(@"^CVE-[0-9]{4}-[0-9]{4,7}\z", RegexOptions.CultureInvariant)]
    private static partial Regex CveId();
}
