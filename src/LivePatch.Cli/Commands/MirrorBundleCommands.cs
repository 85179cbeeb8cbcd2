using System.CommandLine;
using LivePatch.Client;
using LivePatch.Core;
using LivePatch.Core.Mirrors;
using LivePatch.Core.Mirrors.Bundles;
using LivePatch.Core.Trust;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch mirror export</c> and <c>import</c>: the read tree carried across an air gap as a bundle (tar + zstd),
/// verified when it is made and again, in full, before anything of it is written on the other side (docs/mirrors.md).</summary>
internal static class MirrorBundleCommands
{
    public static Command Export(TimeProvider time, RepositoryEnvironment environment)
    {
        var from = new Option<string>("--from") { Description = "URL or DIR: the repository, a mirror of it, or a tree in a folder.", Required = true };
        var output = new Option<string>("--out") { Description = "FILE.tar.zst: the bundle to write (replaced only when complete).", Required = true };
        var since = new Option<ulong?>("--since")
        {
            Description = "VERSION: only what changed after this repository version (the index version of the last bundle the site imported, " +
                "printed by export and import). Bins and manifests above it and every blob those manifests name; the index always.",
        };
        var channels = new Option<string[]>("--channel") { Description = "Only this channel; repeatable (default: all)." };
        var roots = RootsOption();
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var command = new Command("export",
            "Write a bundle of a repository's read tree for media carried to an air-gapped site: everything, or what changed since a version. " +
            "Every document and blob is verified against --root while it is written, blobs first and the index last; " +
            "the file appears only when complete. Import it with 'lpatch mirror import'.")
        {
            from, output, since, channels, roots, json,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var options = new MirrorSyncOptions
            {
                Policy = Policy(parse.GetValue(roots)),
                Channels = parse.GetValue(channels) ?? [],
                SinceVersion = parse.GetValue(since),
            };
            var (source, owner) = MirrorEndpoints.OpenSource(parse.GetRequiredValue(from), environment.RetryDelay);
            using (owner)
            {
                await using var bundle = new BundleWriter(parse.GetRequiredValue(output));
                return await MirrorCommands.RunSyncAsync(parse, options, source, bundle, parse.GetValue(json), time, "exported",
                    () => bundle.CompleteAsync(cancellation), cancellation);
            }
        });
        return command;
    }

    public static Command Import(TimeProvider time, RepositoryEnvironment environment)
    {
        var file = new Argument<string>("FILE") { Description = "The bundle (FILE.tar.zst) made by 'lpatch mirror export'." };
        var to = new Option<string>("--to") { Description = "DIR: merge into this mirror folder (created if missing); needs --root." };
        var roots = RootsOption(required: false);
        var server = new ServerOptions();
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var command = new Command("import",
            "Bring a bundle into a mirror folder (--to DIR --root ROOT.pem) or a site repository (--server URL --api-key KEY, which verifies it " +
            "against its own LivePatch:Upstream roots). The bundle is unpacked within limits, every blob is hashed, then every document is " +
            "verified before the first write, and the folder is merged in the same safe order as a sync (blobs, manifests, bins, index last). " +
            "A damaged, cut, tampered or older bundle is refused with nothing written.")
        {
            file, to, roots,
        };
        server.AddTo(command, withApiKey: true, withJson: false);
        command.Options.Add(json);
        command.SetAction(async (parse, cancellation) =>
        {
            var path = parse.GetRequiredValue(file);
            return (parse.GetValue(to), parse.GetValue(server.Server) ?? environment.GetVariable(RepositoryEnvironment.ServerVariable)) switch
            {
                ({ } folder, _) => await ImportToFolderAsync(parse, path, folder, Policy(parse.GetValue(roots)), parse.GetValue(json), time, cancellation),
                (null, not null) => await ImportToServerAsync(parse, path, server, environment, parse.GetValue(json)),
                _ => throw new LivePatchFormatException(ErrorCodes.MirrorTargetUnsupported,
                    "mirror import needs --to DIR (with --root) or --server URL (or $LPATCH_SERVER)."),
            };
        });
        return command;
    }

    private static async Task<int> ImportToFolderAsync(ParseResult parse, string path, string folder, TrustPolicy policy, bool json,
        TimeProvider time, CancellationToken cancellation)
    {
        await using var input = OpenBundle(path);
        using var bundle = await UnpackedBundle.UnpackAsync(input, null, new BundleLimits(), null, cancellation);
        var target = MirrorEndpoints.OpenTarget(folder);
        using (target as IDisposable)
        {
            return await MirrorCommands.RunSyncAsync(parse, new MirrorSyncOptions { Policy = policy }, bundle.Source, target, json, time, "imported",
                () => Task.CompletedTask, cancellation);
        }
    }

    private static Task<int> ImportToServerAsync(ParseResult parse, string path, ServerOptions server, RepositoryEnvironment environment, bool json) =>
        Task.FromResult(RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            await using var input = OpenBundle(path);
            var summary = await api.ImportBundleAsync(input);
            output.WriteLine(json
                ? System.Text.Json.JsonSerializer.Serialize(summary, Core.Repository.RepositoryJsonContext.Default.UpstreamSyncSummary)
                : $"imported {path} into {parse.GetValue(server.Server) ?? environment.GetVariable(RepositoryEnvironment.ServerVariable)}: " +
                  $"{summary.Repository} index version {summary.Version}; {summary.Imported} imported, {summary.Updated} updated, " +
                  $"{summary.Revoked} revoked, {summary.Skipped} unchanged");
            return ExitCodes.Success;
        }));

    private static FileStream OpenBundle(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LivePatchFormatException(Client.Updates.ClientErrorCodes.InputUnreadable, $"{path}: no such bundle file.");
        }
    }

    private static Option<string[]> RootsOption(bool required = true) => new("--root")
    {
        Description = "ROOT.pem: a pinned root certificate of the repository the bundle comes from; repeatable" +
            (required ? "." : " (with --to; a site repository uses its own LivePatch:Upstream:Roots)."),
        Required = required,
    };

    private static TrustPolicy Policy(string[]? roots)
    {
        if (roots is not { Length: > 0 })
        {
            throw new LivePatchFormatException(Client.Updates.ClientErrorCodes.InputUnreadable, "--root: at least one root certificate is needed to verify the bundle.");
        }

        return new TrustPolicy { Roots = MirrorCommands.LoadRoots(roots) };
    }
}
