using System.CommandLine;
using System.Security.Cryptography;
using LivePatch.Cli.Commands;
using LivePatch.Client.Host;
using LivePatch.Client.Updates;
using LivePatch.Core;
using LivePatch.Mirror.S3;

namespace LivePatch.Cli;

/// <summary>The root of the <c>lpatch</c> command tree and the one place that turns failures into exit codes.</summary>
internal static class LpatchCommand
{
    /// <param name="repository">Where the repository commands find their server and key (default: the environment).</param>
    /// <param name="time">The host commands' clock, which decides expiry (default: the system's; tests pass a fake one).</param>
    public static RootCommand Build(RepositoryEnvironment? repository = null, TimeProvider? time = null)
    {
        var root = new RootCommand(
            "lpatch: signed Linux kernel live patches. Reads kernel build IDs, inspects, signs and verifies " +
            "livepatch modules, makes key sets, signs or verifies repository manifests, publishes to a repository, asks it about the reporting hosts " +
            "and keeps verified mirrors of one.\n" +
            "Exit codes: 0 success, 1 verification refused, 2 usage or unreadable input, 3 no repository reachable, 4 loader failed, " +
            "5 another lpatch run holds the lock, 6 internal error.");
        root.Subcommands.Add(KernelCommands.Build());
        root.Subcommands.Add(ModuleCommands.Build());
        root.Subcommands.Add(KeysCommands.Build());
        root.Subcommands.Add(ManifestCommands.Build());
        foreach (var command in PublisherCommands.Build(repository ?? RepositoryEnvironment.Process).Concat(HostCommands.Build(time ?? TimeProvider.System)))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(MirrorCommands.Build(time ?? TimeProvider.System, repository ?? RepositoryEnvironment.Process));
        foreach (var command in FleetCommands.Build(repository ?? RepositoryEnvironment.Process))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    public static int Run(string[] args, TextWriter output, TextWriter error, RepositoryEnvironment? repository = null,
        TimeProvider? time = null)
    {
        var parse = Build(repository, time).Parse(args);
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (parse.Errors.Count > 0)
        {
            var secrets = SecretValues(args);
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine($"lpatch: {Redact(parseError.Message, secrets)}");
            }

            error.WriteLine("Run 'lpatch --help' (or 'lpatch COMMAND --help') for usage.");
            return ExitCodes.UsageOrInput;
        }

        try
        {
            return parse.Invoke(config);
        }
        catch (LivePatchFormatException e)
        {
            error.WriteLine($"lpatch: error [{e.Code}]: {e.Message}");
            return ErrorCategories.ExitCode(e.Error.Category);
        }
        catch (ClientConfigurationException e)
        {
            return Report(error, ClientErrorCodes.ConfigurationInvalid, e.Message);
        }
        catch (ClientStateException e)
        {
            return Report(error, ClientErrorCodes.StateCorrupt, e.Message);
        }
        catch (UnsafePathException e)
        {
            return Report(error, ClientErrorCodes.StatePathUnsafe, e.Message);
        }
        catch (LpatchBusyException e)
        {
            return Report(error, ClientErrorCodes.Busy, e.Message);
        }
        catch (MetricsFileException e)
        {
            return Report(error, e.Error, e.Message);
        }
        catch (S3MirrorException e)
        {
            return Report(error, e.Error, e.Message); // an IOException with its own code: before the catch-all below
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return Report(error, ClientErrorCodes.InputUnreadable, e.Message);
        }
        catch (Exception e)
        {
            // Last resort: a bug. The message only, never a stack trace (it may show paths and is no use to an operator).
            error.WriteLine($"lpatch: internal error [{ClientErrorCodes.Internal}]: {e.Message}");
            return ErrorCategories.ExitCode(ClientErrorCodes.Internal.Category);
        }
    }

    /// <summary>Options whose value is a secret: "Never printed", also not by a parse error that repeats the tokens it did not
    /// recognise (<c>--api-key KEY</c> given to a command that takes none).</summary>
    private static readonly string[] SecretOptions = ["--api-key"];

    private static List<string> SecretValues(string[] args)
    {
        var values = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            foreach (var option in SecretOptions)
            {
                if (args[i] == option && i + 1 < args.Length)
                {
                    values.Add(args[i + 1]);
                }
                else if (args[i].StartsWith(option + "=", StringComparison.Ordinal) || args[i].StartsWith(option + ":", StringComparison.Ordinal))
                {
                    values.Add(args[i][(option.Length + 1)..]);
                }
            }
        }

        return [.. values.Where(v => v.Length > 0)];
    }

    private static string Redact(string message, List<string> secrets) =>
        secrets.Aggregate(message, (text, secret) => text.Replace(secret, "(hidden)", StringComparison.Ordinal));

    private static int Report(TextWriter error, ErrorCode code, string message)
    {
        error.WriteLine($"lpatch: error [{code}]: {message}");
        return ErrorCategories.ExitCode(code.Category);
    }
}
