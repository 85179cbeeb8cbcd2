using System.CommandLine;
using System.Text.Json;
using LivePatch.Client;
using LivePatch.Client.Host;
using LivePatch.Client.Reports;
using LivePatch.Client.Updates;

namespace LivePatch.Cli.Commands;

/// <summary>The host commands: status, check, apply, remove, daemon and guard, all reading client.json.</summary>
internal static class HostCommands
{
    public static IEnumerable<Command> Build(TimeProvider time)
    {
        yield return Status(time);
        yield return Check(time);
        yield return Apply(time);
        yield return Remove(time);
        yield return Unhold(time);
        yield return DaemonCommand.Build(time);
        yield return Guard(time);
        yield return HostStateCommands.Build(time);
    }

    public static Option<string> ConfigOption() => new("--config")
    {
        Description = $"The client configuration (default {ClientOptions.DefaultPath}).",
        DefaultValueFactory = _ => ClientOptions.DefaultPath,
    };

    /// <summary>The option of <c>status</c> and <c>daemon</c> that writes node_exporter textfile metrics.</summary>
    public static Option<string?> PrometheusOption() => new("--prometheus")
    {
        Description = "Write node_exporter textfile-collector metrics to FILE (NAME.prom in an existing folder owned by this user; " +
            "replaced atomically) instead of printing the status.",
        HelpName = "FILE",
    };

    private static Command Status(TimeProvider time)
    {
        var config = ConfigOption();
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var prometheus = PrometheusOption();
        var command = new Command("status", "Show the kernel build ID and release, the applied patches (level, CVEs), the last check and its outcome.")
        {
            config, json, prometheus,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var host = HostClient.Create(parse.GetRequiredValue(config), time);
            if (parse.GetValue(prometheus) is { } file)
            {
                TextfileMetricsFile.Write(file, HostMetrics.Render(await HostMetrics.CollectAsync(host, time, cancellation)));
                return ExitCodes.Success;
            }

            var view = await HostViews.StatusAsync(host, cancellation);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(view, HostJson.Default.StatusView));
            }
            else
            {
                HostViews.WriteStatus(output, view);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Check(TimeProvider time)
    {
        var config = ConfigOption();
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("check", "Ask the repositories what they offer this kernel, verify it, and say what apply would do; applies nothing.") { config, json };
        command.SetAction(async (parse, cancellation) =>
        {
            var host = HostClient.Create(parse.GetRequiredValue(config), time);
            var result = await host.Engine.CheckAsync(cancellation);
            var exit = HostViews.WriteResult(parse, result, parse.GetValue(json));
            await HostReportOutput.SendAsync(parse.InvocationConfiguration.Error, host, time, HostReporter.Check, result, host.Engine.State);
            return exit;
        });
        return command;
    }

    private static Command Apply(TimeProvider time)
    {
        var config = ConfigOption();
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Verify and say what would be applied or removed; change nothing." };
        var boot = new Option<bool>("--boot")
        {
            Description = "Early in boot, without the network: re-apply from the cache the patch applied to this kernel before the reboot, " +
                "if it still verifies and the kept manifest does not revoke it.",
        };
        var command = new Command("apply", "Check, download, verify and apply the best patch for this kernel; move off revoked ones.") { config, json, dryRun, boot };
        command.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(boot) && parse.GetValue(dryRun))
            {
                parse.InvocationConfiguration.Error.WriteLine("lpatch: error [usage]: --boot and --dry-run cannot be combined ('lpatch status' shows what is applied).");
                return ExitCodes.UsageOrInput;
            }

            var host = HostClient.Create(parse.GetRequiredValue(config), time);
            if (parse.GetValue(boot))
            {
                var restored = await host.Boot.ApplyAsync(cancellation);
                var bootExit = HostViews.WriteResult(parse, restored, parse.GetValue(json));
                await HostReportOutput.SendAsync(parse.InvocationConfiguration.Error, host, time, HostReporter.Boot, restored, host.Boot.State);
                return bootExit;
            }

            var progress = Console.IsErrorRedirected ? null : new TerminalProgress(parse.InvocationConfiguration.Error);
            var result = await host.Engine.ApplyAsync(parse.GetValue(dryRun), progress, cancellation);
            progress?.Done();
            var exit = HostViews.WriteResult(parse, result, parse.GetValue(json));
            if (!parse.GetValue(dryRun)) // a dry run changes nothing, so it has nothing to report
            {
                await HostReportOutput.SendAsync(parse.InvocationConfiguration.Error, host, time, HostReporter.Apply, result, host.Engine.State);
            }

            return exit;
        });
        return command;
    }

    private static Command Remove(TimeProvider time)
    {
        var config = ConfigOption();
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var name = new Argument<string>("NAME") { Description = "The patch module's name (as in /sys/kernel/livepatch)." };
        var command = new Command("remove", "Disable and unload an applied patch, and hold it: automatic runs do not apply it again until 'lpatch unhold NAME'.")
        {
            config, json, name,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var patch = ModuleName(parse, name);
            if (patch is null)
            {
                return ExitCodes.UsageOrInput;
            }

            var host = HostClient.Create(parse.GetRequiredValue(config), time);
            var result = await host.Engine.RemoveAsync(patch, cancellation);
            return HostViews.WriteResult(parse, result, parse.GetValue(json));
        });
        return command;
    }

    private static Command Unhold(TimeProvider time)
    {
        var config = ConfigOption();
        var name = new Argument<string>("NAME") { Description = "The module name held by 'lpatch remove'." };
        var command = new Command("unhold", "Let automatic runs apply a patch removed with 'lpatch remove' again.") { config, name };
        command.SetAction(parse =>
        {
            var patch = ModuleName(parse, name);
            if (patch is null)
            {
                return ExitCodes.UsageOrInput;
            }

            var options = ClientConfiguration.Load(parse.GetRequiredValue(config));
            if (!new StateAdministration(options, time).Unhold(patch))
            {
                parse.InvocationConfiguration.Error.WriteLine($"lpatch: error [{ClientErrorCodes.NotHeld}]: {patch} is not held ('lpatch status' lists holds).");
                return ExitCodes.UsageOrInput;
            }

            parse.InvocationConfiguration.Output.WriteLine($"unheld {patch}: the next apply may apply it again");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The NAME argument when it is a module name; otherwise says so and returns null.</summary>
    internal static string? ModuleName(ParseResult parse, Argument<string> name)
    {
        var patch = parse.GetRequiredValue(name);
        if (Core.Modules.ModuleNames.IsValid(patch))
        {
            return patch;
        }

        parse.InvocationConfiguration.Error.WriteLine($"lpatch: error [usage]: '{DisplayText.Escape(patch)}' is not a module name ([A-Za-z0-9_-], at most 55 characters).");
        return null;
    }

    private static Command Guard(TimeProvider time)
    {
        var config = ConfigOption();
        var list = new Command("list", "List quarantined patches (an apply failed, or the host went down soon after one).") { config };
        list.SetAction(parse =>
        {
            var host = HostClient.Create(parse.GetRequiredValue(config), time);
            foreach (var entry in host.Guard.Quarantined())
            {
                parse.InvocationConfiguration.Output.WriteLine($"{entry.Sha256}  {entry.Name}  {entry.Reason}  {entry.Time:u}");
            }

            return ExitCodes.Success;
        });
        var clearConfig = ConfigOption();
        var sha = new Argument<string?>("SHA256") { Description = "The patch to clear (default: all).", Arity = ArgumentArity.ZeroOrOne };
        var clear = new Command("clear", "Let quarantined patches be applied automatically again.") { clearConfig, sha };
        clear.SetAction(parse =>
        {
            var host = HostClient.Create(parse.GetRequiredValue(clearConfig), time);
            var digest = parse.GetValue(sha);
            if (digest is not null && (digest.Length != 64 || !digest.All(char.IsAsciiHexDigit)))
            {
                parse.InvocationConfiguration.Error.WriteLine($"lpatch: error [usage]: '{DisplayText.Escape(digest)}' is not a SHA-256 ('lpatch guard list' shows them).");
                return ExitCodes.UsageOrInput;
            }

            using var runLock = RunLock.Acquire(host.Options.StateDirectory, host.Options.LockWait, TimeProvider.System);
            var cleared = host.Guard.Clear(digest);
            parse.InvocationConfiguration.Output.WriteLine($"cleared {cleared} quarantined patch(es)");
            return ExitCodes.Success;
        });
        return new Command("guard", "The crash-loop guard: patches not tried again automatically until an operator clears them.") { list, clear };
    }
}
