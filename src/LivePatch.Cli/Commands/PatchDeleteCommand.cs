using System.CommandLine;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch patches delete ID</c>: undo a publish made in error (admin).</summary>
internal static class PatchDeleteCommand
{
    public static Command Build(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var patchId = PublisherCommands.PatchIdArgument();
        var command = new Command("delete", "Delete a patch published in error (admin): it leaves every manifest without a revocation and its " +
            "module file is removed when no other patch uses it. Hosts that already applied it keep it: revoke anything a host may have applied.")
        {
            patchId,
        };
        command.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            var patch = await api.DeletePatchAsync(parse.GetRequiredValue(patchId));
            PublisherCommands.WritePatch(parse, server, output, patch,
                $"deleted {patch.Name} level {patch.Level} (id {patch.Id}) from {string.Join(',', patch.Channels)} for {patch.BuildIds.Count} kernel build(s)");
            return ExitCodes.Success;
        }));
        return server.AddTo(command, withApiKey: true);
    }
}
