using System.Globalization;
using LivePatch.Core.Modules;

namespace LivePatch.Client.Loading;

/// <summary>Runs a site's own command (no shell) with the action and the patch's metadata in <c>LPATCH_*</c> variables.</summary>
/// <remarks>Exit 0 is success. For <c>list</c> the command prints one patch a line: <c>name</c> or <c>name enabled|disabled</c>.</remarks>
public sealed class ExecPatchLoader(LoaderOptions options, TimeProvider time) : IPatchLoader
{
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

    /// <summary>The variables the command sees for an apply (docs/loaders.md lists them).</summary>
    internal static Dictionary<string, string> Environment(string action, PatchToApply patch) => new()
    {
        ["LPATCH_ACTION"] = action,
        ["LPATCH_FILE"] = Path.GetFullPath(patch.FilePath),
        ["LPATCH_NAME"] = patch.Name,
        ["LPATCH_LEVEL"] = patch.Level.ToString(CultureInfo.InvariantCulture),
        ["LPATCH_SHA256"] = patch.Sha256,
        ["LPATCH_REPLACE"] = patch.Replace ? "1" : "0",
        ["LPATCH_REPLACES"] = string.Join(' ', patch.Replaces),
        ["LPATCH_KERNEL_RELEASE"] = patch.KernelRelease,
        ["LPATCH_BUILD_ID"] = patch.BuildId,
        ["LPATCH_CVES"] = string.Join(' ', patch.Cves),
    };

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
