using System.Globalization;
using System.Text.RegularExpressions;
using LivePatch.Core.Kernel;
using LivePatch.Core.Modules;

namespace LivePatch.Client.Loading;

/// <summary>Runs a site's own command (no shell) with the action and the patch's metadata in <c>LPATCH_*</c> variables.</summary>
/// <remarks>Exit 0 is success. For <c>list</c> the command prints one patch a line: <c>name</c> or <c>name enabled|disabled</c>.</remarks>
public sealed partial class ExecPatchLoader(LoaderOptions options, TimeProvider time) : IPatchLoader
{
    private const int Sha256HexLength = 64;

    /// <summary>utsname.release holds 64 characters plus the NUL (__NEW_UTS_LEN, include/uapi/linux/utsname.h).</summary>
    private const int MaxKernelReleaseLength = 64;

    private readonly string _command = options.Command ?? throw new ArgumentException("The exec loader needs a command.", nameof(options));

    public string Kind => "exec";

    public async Task<LoaderResult> ApplyAsync(PatchToApply patch, CancellationToken cancellation)
    {
        if (!ModuleNames.IsValid(patch.Name))
        {
            return LoaderResult.Failed(LoaderErrorCodes.InvalidName, $"'{patch.Name}' is not a valid module name.");
        }

        var outcome = await RunAsync(Environment("apply", patch), cancellation).ConfigureAwait(false);
        return outcome.Succeeded
            ? LoaderResult.Ok($"{_command} applied {patch.Name} level {patch.Level}.")
            : LoaderResult.Failed(LoaderErrorCodes.ExecFailed, outcome.Describe(_command));
    }

    public async Task<LoaderResult> RemoveAsync(string name, CancellationToken cancellation)
    {
        if (!ModuleNames.IsValid(name))
        {
            return LoaderResult.Failed(LoaderErrorCodes.InvalidName, $"'{name}' is not a valid module name.");
        }

        var outcome = await RunAsync(new Dictionary<string, string> { ["LPATCH_ACTION"] = "remove", ["LPATCH_NAME"] = name }, cancellation)
            .ConfigureAwait(false);
        return outcome.Succeeded
            ? LoaderResult.Ok($"{_command} removed {name}.")
            : LoaderResult.Failed(LoaderErrorCodes.ExecFailed, outcome.Describe(_command));
    }

    public async Task<IReadOnlyList<LoadedPatch>> ListAsync(CancellationToken cancellation)
    {
        var outcome = await RunAsync(new Dictionary<string, string> { ["LPATCH_ACTION"] = "list" }, cancellation).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            throw new LoaderCommandException(outcome.Describe(_command));
        }

        return ParseList(outcome.StandardOutput);
    }

    /// <summary>The variables the command sees for an apply (docs/loaders.md lists them): only values of their known
    /// format, because a site script may echo, log or eval them and they come from a repository the host does not trust.</summary>
    /// <remarks>A value that does not pass is left out (the variable is missing, not empty); CVE ids and replaced names
    /// that do not pass are dropped one by one.</remarks>
    internal static Dictionary<string, string> Environment(string action, PatchToApply patch)
    {
        var environment = new Dictionary<string, string>
        {
            ["LPATCH_ACTION"] = action,
            ["LPATCH_FILE"] = Path.GetFullPath(patch.FilePath),
            ["LPATCH_LEVEL"] = patch.Level.ToString(CultureInfo.InvariantCulture),
            ["LPATCH_REPLACE"] = patch.Replace ? "1" : "0",
            ["LPATCH_REPLACES"] = string.Join(' ', patch.Replaces.Where(ModuleNames.IsValid)),
            ["LPATCH_CVES"] = string.Join(' ', patch.Cves.Where(IsCveId)),
        };
        AddIf(environment, "LPATCH_NAME", patch.Name, ModuleNames.IsValid(patch.Name));
        AddIf(environment, "LPATCH_SHA256", patch.Sha256, IsLowerHex(patch.Sha256) && patch.Sha256.Length == Sha256HexLength);
        AddIf(environment, "LPATCH_BLOB_SHA256", patch.BlobSha256, IsLowerHex(patch.BlobSha256) && patch.BlobSha256.Length == Sha256HexLength);
        AddIf(environment, "LPATCH_BUILD_ID", patch.BuildId, IsBuildId(patch.BuildId));
        AddIf(environment, "LPATCH_KERNEL_RELEASE", patch.KernelRelease, IsKernelRelease(patch.KernelRelease));
        return environment;
    }

    /// <summary>A CVE id as MITRE assigns them: a 4-digit year, then 4 or more digits (19 keeps it a 64-bit number).
    /// [0-9], not \d (which matches any Unicode digit), and \z, not $ (which also matches before a final newline).</summary>
    [GeneratedRegex(@"^CVE-[0-9]{4}-[0-9]{4,19}\z", RegexOptions.CultureInvariant)]
    private static partial Regex CveId();

    internal static bool IsCveId(string? cve) => cve is not null && CveId().IsMatch(cve);

    private static bool IsLowerHex(string? s) => !string.IsNullOrEmpty(s) && s.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    // Lowercase hex of 8 to 64 bytes, as manifests carry it (ManifestRules).
    private static bool IsBuildId(string? hex) => IsLowerHex(hex) && hex!.Length % 2 == 0
        && hex.Length is >= BuildId.MinBytes * 2 and <= BuildId.MaxBytes * 2;

    // Printable ASCII without spaces: a release string such as 6.1.0-56-amd64 never needs more.
    private static bool IsKernelRelease(string? release) =>
        !string.IsNullOrEmpty(release) && release.Length <= MaxKernelReleaseLength && release.All(c => c is > ' ' and < '\u007f');

    private static void AddIf(Dictionary<string, string> environment, string name, string value, bool valid)
    {
        if (valid)
        {
            environment[name] = value;
        }
    }

    /// <summary>One patch a line; lines whose first word is not a module name are skipped, a missing state means enabled.</summary>
    internal static IReadOnlyList<LoadedPatch> ParseList(string output) =>
        output.Split('\n')
            .Select(line => line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length > 0 && ModuleNames.IsValid(words[0]))
            .Select(words => new LoadedPatch(words[0], words.Length < 2 || words[1] is "enabled" or "1", InTransition: false))
            .ToList();

    private Task<CommandOutcome> RunAsync(Dictionary<string, string> environment, CancellationToken cancellation) =>
        CommandRunner.RunAsync(_command, [], environment, options.CommandTimeout, time, cancellation);
}
