using System.CommandLine;
using System.Text.Json;
using LivePatch.Client;
using LivePatch.Core;
using LivePatch.Core.Kernel;
using LivePatch.Core.Modules;
using LivePatch.Core.Repository;
using LivePatch.Core.Signing;

namespace LivePatch.Cli.Commands;

/// <summary>The publisher's commands against a repository server: publish, patches, kernels, promote, revoke.</summary>
internal static class PublisherCommands
{
    public static IEnumerable<Command> Build(RepositoryEnvironment environment) =>
    [
        Publish(environment),
        PublishBatch(environment),
        Patches(environment),
        Kernels(environment),
        Promote(environment),
        Revoke(environment),
        ApiKeyCommands.Build(environment),
        ApiKeyCommands.Audit(environment),
    ];

    private static Command Publish(RepositoryEnvironment environment)
    {
        var fields = new PublishFields();
        var server = new ServerOptions();
        var command = new Command("publish", "Upload a signed livepatch module for one or more kernel builds. The module is checked here first " +
            "(readable, signed, livepatch=Y; exit 2 if not), then by the server (exit 1 if it refuses the module).");
        fields.AddTo(command);
        command.SetAction(parse =>
        {
            var upload = fields.ToUpload(parse); // validates locally before anything is sent
            return RepositoryCall.Run(parse, server, environment, async (api, output) =>
            {
                var patch = await api.PublishAsync(upload);
                WritePatch(parse, server, output, patch,
                    $"published {patch.Name} level {patch.Level} (id {patch.Id}) to {string.Join(',', patch.Channels)} for {patch.BuildIds.Count} kernel build(s)");
                return ExitCodes.Success;
            });
        });
        return server.AddTo(command, withApiKey: true);
    }

    /// <summary>A batch file larger than this is not a batch (1,000 patches with long descriptions are about 5 MB).</summary>
    private const int MaxBatchFileBytes = 16 * 1024 * 1024;

    private static Command PublishBatch(RepositoryEnvironment environment)
    {
        var file = new Argument<FileInfo>("FILE")
        {
            Description = "The batch as JSON: {\"patches\": [{\"module\": \"lp_fix-5.ko\", \"buildIds\": [\"4a5a…\"], \"cves\": [\"CVE-2026-1234\"]}, …]}. " +
                "Each patch takes the fields of 'lpatch publish' (buildIds, channel, level, cves, severity, description, replace); " +
                "its module is a path, relative to the folder of FILE unless absolute.",
        };
        var server = new ServerOptions();
        var command = new Command("publish-batch", "Upload many signed livepatch modules, each for its own kernel builds, in one request " +
            $"(at most {PublishBatchLimit} patches): all are published or none. Each module is checked here first (readable, signed, " +
            "livepatch=Y; exit 2 naming the patch if not), then by the server (exit 1 if it refuses one, naming it; nothing is published).") { file };
        command.SetAction(parse =>
        {
            var path = parse.GetRequiredValue(file).FullName;
            var uploads = ReadBatch(path); // validates locally before anything is sent
            var bytes = uploads.Sum(u => (long)u.Module.Length);
            parse.InvocationConfiguration.Error.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"lpatch: uploading {uploads.Count} module(s), {(bytes < 1 << 20 ? $"{bytes / 1024.0:0.0} KiB" : $"{bytes / (1024.0 * 1024):0.0} MiB")}, in one batch"));
            return RepositoryCall.Run(parse, server, environment, async (api, output) =>
            {
                var batch = await api.PublishBatchAsync(uploads);
                WriteJsonOr(parse, server, output, batch, PublisherJson.Default.PublishedBatch, () =>
                {
                    output.WriteLine($"published {batch.Patches.Count} patch(es) (ids {batch.Patches[0].Id} to {batch.Patches[^1].Id}) " +
                        $"for {batch.Patches.Sum(p => p.BuildIds.Count)} kernel build(s)");
                    RepositoryViews.WritePatches(output, batch.Patches);
                });
                return ExitCodes.Success;
            });
        });
        return server.AddTo(command, withApiKey: true);
    }

    /// <summary>Patches one batch may hold: the server's limit, checked here so that nothing is uploaded in vain.</summary>
    private const int PublishBatchLimit = 1000;

    /// <summary>The most a repository takes in one batch (<c>LivePatch:MaxBatchBytes</c> at its highest): the modules are held in
    /// memory to be sent, so more is refused before they are all read.</summary>
    private const long MaxBatchUploadBytes = 1L << 30;

    /// <summary>Reads a batch file and every module it names, each checked as <c>lpatch publish</c> checks its file; a refusal
    /// names the patch (its place in the batch) and the file; a module that cannot be read is the file's own error (its path).</summary>
    private static List<ModuleUpload> ReadBatch(string path)
    {
        PublishBatch? batch;
        try
        {
            batch = JsonSerializer.Deserialize(FileBytes.ReadBounded(path, MaxBatchFileBytes), RepositoryJsonContext.Default.PublishBatch);
        }
        catch (JsonException e)
        {
            throw new LivePatchFormatException(ProblemCodes.BatchInvalid, $"{path} is not a batch: {e.Message}");
        }

        if (batch is not { IsComplete: true, Patches: { Count: > 0 } patches })
        {
            throw new LivePatchFormatException(ProblemCodes.BatchInvalid,
                $"{path} is not a batch: it needs \"patches\", a list of at least one patch, each with \"module\" and \"buildIds\", and no value may be null.");
        }

        LivePatchFormatException.ThrowUnless(patches.Count <= PublishBatchLimit, ProblemCodes.TooManyPatches,
            $"{path} has {patches.Count} patches; one batch may hold at most {PublishBatchLimit}: split it.");
        var folder = Path.GetDirectoryName(path)!;
        var uploads = new List<ModuleUpload>(patches.Count);
        var total = 0L;
        for (var i = 0; i < patches.Count; i++)
        {
            var patch = patches[i];
            var module = Path.GetFullPath(Path.Combine(folder, patch.Module));
            try
            {
                uploads.Add(new ModuleUpload
                {
                    FileName = Path.GetFileName(module),
                    Module = ReadPublishableModule(module),
                    BuildIds = [.. patch.BuildIds.Select(id => BuildId.Parse(id).Hex)],
                    Channel = patch.Channel,
                    Level = patch.Level,
                    Cves = patch.Cves ?? [],
                    Severity = patch.Severity,
                    Description = patch.Description,
                    Replace = patch.Replace ?? true,
                });
            }
            catch (LivePatchFormatException e)
            {
                throw new LivePatchFormatException(e.Error, $"patch {i + 1} of {path}: {e.Message}");
            }

            total += uploads[^1].Module.Length;
            LivePatchFormatException.ThrowUnless(total <= MaxBatchUploadBytes, ProblemCodes.BatchTooLarge,
                $"patch {i + 1} of {path}: the modules so far are {total} bytes, more than any repository takes in one batch ({MaxBatchUploadBytes}): split it.");
        }

        return uploads;
    }

    /// <summary>The argument and options of <c>lpatch publish</c> that become the upload's fields.</summary>
    private sealed class PublishFields
    {
        private readonly Argument<FileInfo> _file = new("FILE") { Description = "The signed livepatch module (.ko, .ko.gz, .ko.xz or .ko.zst), uploaded as it is." };
        private readonly Option<string[]> _buildIds = new("--build-id") { Description = "GNU build ID (hex) of a kernel the patch is for. Repeatable.", Required = true };
        private readonly Option<string> _channel = new("--channel") { Description = "Channel to publish to (default: the repository's first)." };
        private readonly Option<int?> _level = new("--level") { Description = "Patch level (default: the next one for that kernel)." };
        private readonly Option<string[]> _cves = new("--cve") { Description = "CVE the patch fixes. Repeatable." };
        private readonly Option<string> _severity = new("--severity") { Description = "Severity, such as low, medium, high or critical." };
        private readonly Option<string> _description = new("--description") { Description = "One line on what the patch fixes." };
        private readonly Option<bool> _noReplace = new("--no-replace") { Description = "The patch stacks on earlier levels instead of atomically replacing them." };

        public void AddTo(Command command)
        {
            command.Arguments.Add(_file);
            foreach (var option in new Option[] { _buildIds, _channel, _level, _cves, _severity, _description, _noReplace })
            {
                command.Options.Add(option);
            }
        }

        public ModuleUpload ToUpload(ParseResult parse)
        {
            var path = parse.GetRequiredValue(_file).FullName;
            return new ModuleUpload
            {
                FileName = Path.GetFileName(path),
                Module = ReadPublishableModule(path),
                BuildIds = [.. parse.GetRequiredValue(_buildIds).Select(id => BuildId.Parse(id).Hex)],
                Channel = parse.GetValue(_channel),
                Level = parse.GetValue(_level),
                Cves = parse.GetValue(_cves) ?? [],
                Severity = parse.GetValue(_severity),
                Description = parse.GetValue(_description),
                Replace = !parse.GetValue(_noReplace),
            };
        }
    }

    /// <summary>Refuses locally what the server would refuse anyway, so nothing is uploaded: the file must read as a
    /// kernel module, carry an appended signature and be a livepatch module. Returns the file as it is on disk.</summary>
    private static byte[] ReadPublishableModule(string path)
    {
        var bytes = FileBytes.ReadBounded(path, ModuleFile.DefaultMaxBytes);
        var module = ModuleFile.Read(bytes);
        LivePatchFormatException.ThrowUnless(ModuleSignatureReader.IsSigned(module.Bytes.Span), ErrorCodes.SignatureMissing,
            $"{path} is not signed; sign it with 'lpatch module sign' (or the kernel's sign-file) before publishing.");
        LivePatchFormatException.ThrowUnless(module.Info.IsLivepatch, ErrorCodes.ModuleNotLivepatch,
            $"{path} is not a livepatch module: its .modinfo has no livepatch=Y.");
        return bytes;
    }

    private static Command Patches(RepositoryEnvironment environment)
    {
        var listServer = new ServerOptions();
        var buildId = new Option<string>("--build-id") { Description = "Only patches for this kernel build ID." };
        var channel = new Option<string>("--channel") { Description = "Only patches in this channel." };
        var list = new Command("list", "List published patches.") { buildId, channel };
        list.SetAction(parse =>
        {
            var id = parse.GetValue(buildId) is { } text ? BuildId.Parse(text).Hex : null;
            return RepositoryCall.Run(parse, listServer, environment, async (api, output) =>
            {
                var patches = await api.AllPatchesAsync(id, parse.GetValue(channel));
                WriteJsonOr(parse, listServer, output, patches, PublisherJson.Default.IReadOnlyListPatchInfo, () => RepositoryViews.WritePatches(output, patches));
                return ExitCodes.Success;
            });
        });

        var showServer = new ServerOptions();
        var patchId = PatchIdArgument();
        var show = new Command("show", "Show one patch.") { patchId };
        show.SetAction(parse => RepositoryCall.Run(parse, showServer, environment, async (api, output) =>
        {
            WritePatch(parse, showServer, output, await api.GetPatchAsync(parse.GetRequiredValue(patchId)), header: null);
            return ExitCodes.Success;
        }));

        return new Command("patches", "Published patches.")
        {
            listServer.AddTo(list, withApiKey: false),
            showServer.AddTo(show, withApiKey: false),
            PatchDeleteCommand.Build(environment),
        };
    }

    private static Command Kernels(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var list = new Command("list", "List the kernel builds the repository has patches for, with the highest level per channel.");
        list.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            var kernels = await api.AllKernelsAsync();
            WriteJsonOr(parse, server, output, kernels, PublisherJson.Default.IReadOnlyListKernelInfo, () => RepositoryViews.WriteKernels(output, kernels));
            return ExitCodes.Success;
        }));
        return new Command("kernels", "Kernel builds in the repository.") { server.AddTo(list, withApiKey: false) };
    }

    private static Command Promote(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var patchId = PatchIdArgument();
        var channel = new Option<string>("--channel") { Description = "The channel to add the patch to.", Required = true };
        var command = new Command("promote", "Add a published patch to another channel (say from beta to stable).") { patchId, channel };
        command.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            var patch = await api.PromoteAsync(parse.GetRequiredValue(patchId), new PromoteRequest(parse.GetRequiredValue(channel)));
            WritePatch(parse, server, output, patch, $"promoted {patch.Name} level {patch.Level} (id {patch.Id}); channels: {string.Join(',', patch.Channels)}");
            return ExitCodes.Success;
        }));
        return server.AddTo(command, withApiKey: true);
    }

    private static Command Revoke(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var patchId = PatchIdArgument();
        var reason = new Option<string>("--reason") { Description = "Why: hosts record it and replace or remove the patch.", Required = true };
        var command = new Command("revoke", "Withdraw a patch: manifests list it as revoked and hosts that run it move off it.") { patchId, reason };
        command.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            var patch = await api.RevokeAsync(parse.GetRequiredValue(patchId), new RevokeRequest(parse.GetRequiredValue(reason)));
            WritePatch(parse, server, output, patch, $"revoked {patch.Name} level {patch.Level} (id {patch.Id})");
            return ExitCodes.Success;
        }));
        return server.AddTo(command, withApiKey: true);
    }

    internal static Argument<int> PatchIdArgument() => new("PATCH-ID")
    {
        Description = "The patch's id (see 'lpatch patches list').",
        // In words, not "Cannot parse argument 'abc' … of type 'System.Int32'".
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0)
            {
                return id;
            }

            result.AddError($"'{text}' is not a patch id: give the number 'lpatch patches list' shows.");
            return 0;
        },
    };

    /// <summary>A one-line summary (if any) and the record's lines, or with --json the record alone.</summary>
    internal static void WritePatch(ParseResult parse, ServerOptions server, TextWriter output, PatchInfo patch, string? header) =>
        WriteJsonOr(parse, server, output, patch, PublisherJson.Default.PatchInfo, () =>
        {
            if (header is not null)
            {
                output.WriteLine(header);
            }

            RepositoryViews.WritePatch(output, patch);
        });

    internal static void WriteJsonOr<T>(ParseResult parse, ServerOptions server, TextWriter output, T value,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, Action writeText)
    {
        if (parse.GetValue(server.Json))
        {
            output.WriteLine(JsonSerializer.Serialize(value, type));
        }
        else
        {
            writeText();
        }
    }
}
