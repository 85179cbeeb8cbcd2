using System.CommandLine;
using LivePatch.Client.Reports;
using LivePatch.Core.Kernel;
using LivePatch.Core.Manifests;
using LivePatch.Core.Repository;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch hosts …</c> and <c>lpatch cve</c>: the fleet questions, asked of the repository with a viewer (or admin) key.</summary>
internal static class FleetCommands
{
    public static IEnumerable<Command> Build(RepositoryEnvironment environment) =>
    [
        new Command("hosts", "The hosts that report to the repository (docs/reports.md): their states, kernels and patch levels. Needs a viewer or admin key.")
        {
            List(environment),
            Show(environment),
            Summary(environment),
        },
        Cve(environment),
    ];

    private static Command List(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var state = new Option<string>("--state")
        {
            Description = $"Only hosts in this state (their first, by precedence): {string.Join(", ", HostStates.All)}.",
        };
        state.AcceptOnlyFromAmong([.. HostStates.All]);
        var kernel = new Option<string>("--kernel") { Description = "Only hosts running this kernel build ID." };
        var channel = new Option<string>("--channel") { Description = "Only hosts following this channel." };
        var command = new Command("list", "List the reporting hosts: state, kernel, channel, the level each runs and the highest available, " +
            "when each last reported; then the count per state.") { state, kernel, channel };
        command.SetAction(parse =>
        {
            var buildId = parse.GetValue(kernel) is { } text ? BuildId.Parse(text).Hex : null; // a bad build ID is exit 2, nothing sent
            return RepositoryCall.Run(parse, server, environment, async (api, output) =>
            {
                var hosts = await api.AllHostsAsync(buildId, parse.GetValue(channel), parse.GetValue(state));
                PublisherCommands.WriteJsonOr(parse, server, output, hosts, FleetJson.Default.IReadOnlyListHostInfo, () => FleetViews.WriteHosts(output, hosts));
                return ExitCodes.Success;
            });
        });
        return server.AddTo(command, withApiKey: true);
    }

    private static Command Show(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var machineId = new Argument<string>("MACHINE-ID")
        {
            Description = "The host's machine id as 'lpatch hosts list' shows it (64 hex digits; 'lpatch status' shows a host's own).",
            CustomParser = result =>
            {
                var text = (result.Tokens.Count == 1 ? result.Tokens[0].Value : "").ToLowerInvariant();
                if (text.Length != 64 || !text.All(char.IsAsciiHexDigit))
                {
                    result.AddError($"'{text}' is not a machine id: give the 64 hex digits 'lpatch hosts list' shows.");
                }

                return text;
            },
        };
        var command = new Command("show", "Show one host: its states, kernel, patches, holds, quarantine, last run, and its recent reports.") { machineId };
        command.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            var host = await api.GetHostAsync(parse.GetRequiredValue(machineId));
            PublisherCommands.WriteJsonOr(parse, server, output, host, FleetJson.Default.HostDetail, () => FleetViews.WriteHost(output, host));
            return ExitCodes.Success;
        }));
        return server.AddTo(command, withApiKey: true);
    }

    private static Command Summary(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var command = new Command("summary", "Hosts per state, how many run a kernel the repository covers, how many are stale.");
        command.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            var summary = await api.GetFleetSummaryAsync();
            PublisherCommands.WriteJsonOr(parse, server, output, summary, FleetJson.Default.FleetSummary, () => FleetViews.WriteSummary(output, summary));
            return ExitCodes.Success;
        }));
        return server.AddTo(command, withApiKey: true);
    }

    private static Command Cve(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var id = new Argument<string>("CVE-ID")
        {
            Description = "The CVE, such as CVE-2024-1086.",
            CustomParser = result =>
            {
                var text = (result.Tokens.Count == 1 ? result.Tokens[0].Value : "").ToUpperInvariant();
                if (!ManifestLimits.IsCveId(text))
                {
                    result.AddError($"'{text}' is not a CVE id like CVE-2024-1086.");
                }

                return text;
            },
        };
        var command = new Command("cve", "Which kernels have a live patch for a CVE, and which reporting hosts are still exposed (no fix for their " +
            "kernel, none in their channel, or not applied) or fixed, with counts. Needs a viewer or admin key.") { id };
        command.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            var exposure = await api.GetCveAsync(parse.GetRequiredValue(id));
            PublisherCommands.WriteJsonOr(parse, server, output, exposure, FleetJson.Default.CveExposure, () => FleetViews.WriteCve(output, exposure));
            return ExitCodes.Success;
        }));
        return server.AddTo(command, withApiKey: true);
    }
}
