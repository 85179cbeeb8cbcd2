using System.CommandLine;
using LivePatch.Client;
using LivePatch.Client.Host;
using LivePatch.Client.Updates;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch state</c>: the operator's repairs of the host's state (docs/client.md "State").</summary>
internal static class HostStateCommands
{
    public static Command Build(TimeProvider time)
    {
        var forgetConfig = HostCommands.ConfigOption();
        var repository = new Argument<string>("REPOSITORY-ID") { Description = "The repository id whose versions to forget (as 'lpatch status' or the manifest names it)." };
        var forget = new Command("forget-versions",
            "After a repository's signing key was compromised and its root rotated: forget the manifest and coverage bin versions recorded for it, " +
            "so that a host frozen by a hostile version number accepts the repository's real versions again. Run it only after " +
            "trustedRoots pins the new root.") { forgetConfig, repository };
        forget.SetAction(parse =>
        {
            var id = parse.GetRequiredValue(repository);
            var options = ClientConfiguration.Load(parse.GetRequiredValue(forgetConfig));
            var forgotten = new StateAdministration(options, time).ForgetVersions(id);
            parse.InvocationConfiguration.Output.WriteLine($"forgot {forgotten} recorded version(s) of repository '{DisplayText.Escape(id)}'");
            return ExitCodes.Success;
        });

        var resetConfig = HostCommands.ConfigOption();
        var reset = new Command("reset",
            $"Move a damaged state file (state.json in stateDirectory) aside; the next run starts afresh. This forgets the " +
            "manifest and coverage bin versions seen (rollback protection starts again from the next accepted ones), the holds and the " +
            "record of applied patches (the loader's list is asked again).") { resetConfig };
        reset.SetAction(parse =>
        {
            var options = ClientConfiguration.Load(parse.GetRequiredValue(resetConfig));
            var aside = new StateAdministration(options, time).Reset();
            parse.InvocationConfiguration.Output.WriteLine(aside is null ? "no state file: nothing to reset" : $"moved the state aside to {aside}");
            return ExitCodes.Success;
        });
        return new Command("state", "Repair the host's state: forget a repository's versions after a root rotation, or reset a damaged state.") { forget, reset };
    }
}
