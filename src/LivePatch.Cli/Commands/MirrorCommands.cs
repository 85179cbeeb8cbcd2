using System.CommandLine;
using LivePatch.Core;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Trust;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch mirror sync</c>: a verified copy of a repository's read tree (docs/mirrors.md).</summary>
internal static class MirrorCommands
{
    public static Command Build(TimeProvider time, RepositoryEnvironment environment) =>
        new("mirror", "Transparent mirrors: copies of a repository's signed read tree that hosts verify as if they came from the repository.")
        {
            Sync(time, environment),
            MirrorBundleCommands.Export(time, environment),
            MirrorBundleCommands.Import(time, environment),
        };

    private static Command Sync(TimeProvider time, RepositoryEnvironment environment)
    {
        var from = new Option<string>("--from")
        {
            Description = "URL or DIR: a repository server or static mirror (http:// or https://), or a tree in a folder (a path or file:///path).",
            Required = true,
        };
        var to = new Option<string>("--to")
        {
            Description = "DIR or s3://BUCKET/PREFIX: the folder the tree is written to, created if missing (a path or file:///path), or an " +
                "S3-compatible bucket (endpoint, region and credentials from AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID, ... or a profile).",
            Required = true,
        };
        var channels = new Option<string[]>("--channel") { Description = "Copy only this channel; repeat for several (default: every channel the source's index lists)." };
        var roots = new Option<string[]>("--root")
        {
            Description = "ROOT.pem: a pinned root certificate of the source repository (what its hosts pin); repeatable. Every document is verified against these.",
            Required = true,
        };
        var prune = new Option<bool>("--prune") { Description = "After the index is written, delete bins, manifests and blobs the copied channels no longer name. Without it nothing is deleted." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var command = new Command("sync",
            "Copy a repository's read tree (index, coverage bins, manifests, blobs) from --from to --to, verifying every file. " +
            "Only what changed is copied: bins whose index entry changed, then the manifests they name that the target lacks, then the blobs those name. " +
            "Everything is verified before the first write; then blobs, manifests and bins are written, each file whole, and the index last, " +
            "so a reader of the copy never finds a name it cannot fetch and a sync stopped at any point is completed by the next run. " +
            "An index older than the target's, or any file that does not verify, is refused (exit 1) with the target's documents unchanged.")
        {
            from, to, channels, roots, prune, json,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var options = new MirrorSyncOptions
            {
                Policy = new TrustPolicy { Roots = LoadRoots(parse.GetValue(roots) ?? []) },
                Channels = parse.GetValue(channels) ?? [],
                Prune = parse.GetValue(prune),
            };
            return await RunAsync(parse, options, parse.GetRequiredValue(from), parse.GetRequiredValue(to), parse.GetValue(json), time,
                environment, cancellation);
        });
        return command;
    }

    internal static IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> LoadRoots(string[] paths)
    {
        try
        {
            return TrustPolicy.LoadRoots(paths);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException
            or System.Security.Cryptography.CryptographicException)
        {
            throw new LivePatchFormatException(Client.Updates.ClientErrorCodes.InputUnreadable, $"--root: {e.Message}");
        }
    }

    private static async Task<int> RunAsync(ParseResult parse, MirrorSyncOptions options, string from, string to, bool json,
        TimeProvider time, RepositoryEnvironment environment, CancellationToken cancellation)
    {
        var target = MirrorEndpoints.OpenTarget(to);
        var (source, owner) = MirrorEndpoints.OpenSource(from, environment.RetryDelay);
        using (target as IDisposable)
        using (owner)
        {
            return await RunSyncAsync(parse, options, source, target, json, time, "synced", () => Task.CompletedTask, cancellation);
        }
    }

    /// <summary>Runs the sync from <paramref name="source"/> to <paramref name="target"/> with progress on a terminal, and
    /// prints its summary or its refusal; <paramref name="complete"/> runs only when everything verified and was written
    /// (sync, export and import alike).</summary>
    internal static async Task<int> RunSyncAsync(ParseResult parse, MirrorSyncOptions options, IMirrorSource source, IMirrorTarget target,
        bool json, TimeProvider time, string verb, Func<Task> complete, CancellationToken cancellation)
    {
        var error = parse.InvocationConfiguration.Error;
        // In place only on a terminal; a log or a pipe gets the summary line alone.
        var progress = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected ? new MirrorTerminalProgress(error) : null;
        var result = await new MirrorSync(source, target, options with { Progress = progress is null ? null : progress.Report }, time)
            .RunAsync(cancellation);
        progress?.Done();
        if (!result.IsSuccess)
        {
            error.WriteLine($"lpatch: error [{result.Issue.Code}]: {result.Issue.Message}");
            return ErrorCategories.ExitCode(result.Issue.Error.Category);
        }

        await complete();
        MirrorViews.WriteSummary(parse.InvocationConfiguration.Output, result.Summary, json, verb);
        return ExitCodes.Success;
    }
}
