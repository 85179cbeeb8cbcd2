using System.CommandLine;
using System.Net;
using LivePatch.Client;
using LivePatch.Core;

namespace LivePatch.Cli.Commands;

/// <summary>What the repository commands take from outside their command line: the environment and retry pacing.</summary>
/// <remarks>Tests pass their own so that they set no process-wide variables and do not wait seconds between retries.</remarks>
internal sealed class RepositoryEnvironment
{
    public const string ServerVariable = "LPATCH_SERVER";
    public const string ApiKeyVariable = "LPATCH_API_KEY";

    public static RepositoryEnvironment Process { get; } = new();

    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>The --server, --api-key and --json options of one repository command (each command needs its own instances).</summary>
internal sealed class ServerOptions
{
    public Option<string> Server { get; } = new("--server") { Description = $"Repository URL (default: ${RepositoryEnvironment.ServerVariable})." };

    public Option<string> ApiKey { get; } = new("--api-key") { Description = $"API key for write commands (default: ${RepositoryEnvironment.ApiKeyVariable}). Never printed." };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the server's JSON records instead of text." };

    /// <summary>Adds the options to a command; <paramref name="withApiKey"/> for commands that write.</summary>
    public Command AddTo(Command command, bool withApiKey, bool withJson = true)
    {
        command.Options.Add(Server);
        if (withApiKey)
        {
            command.Options.Add(ApiKey);
        }

        if (withJson)
        {
            command.Options.Add(Json);
        }

        return command;
    }
}

/// <summary>Runs one call against the repository and turns its outcome into output and an exit code.</summary>
internal static class RepositoryCall
{
    /// <summary>Code for a missing or malformed --server: the caller's settings (never sent by a server, so not defined).</summary>
    public static readonly ErrorCode ServerInvalid = new("server-invalid", ErrorCategory.Configuration);

    public static int Run(ParseResult parse, ServerOptions options, RepositoryEnvironment environment,
        Func<IRepositoryApi, TextWriter, Task<int>> call)
    {
        var error = parse.InvocationConfiguration.Error;
        var server = parse.GetValue(options.Server) ?? environment.GetVariable(RepositoryEnvironment.ServerVariable);
        if (!Uri.TryCreate(server, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new LivePatchFormatException(ServerInvalid, server is null
                ? $"No repository given: pass --server URL or set {RepositoryEnvironment.ServerVariable}."
                : $"'{server}' is not an http:// or https:// URL.");
        }

        var apiKey = parse.GetValue(options.ApiKey) ?? environment.GetVariable(RepositoryEnvironment.ApiKeyVariable);
        using var client = RepositoryClient.Create(new RepositoryClientOptions
        {
            Server = url,
            ApiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey,
            RetryDelay = environment.RetryDelay,
        });
        try
        {
            // Task.Run: block on the call without a caller's synchronization context in the way.
            return Task.Run(() => Typed(url, call(client.Api, parse.InvocationConfiguration.Output))).GetAwaiter().GetResult();
        }
        catch (RepositoryApiException e)
        {
            error.WriteLine($"lpatch: error [{e.Code}]: {Describe(e)}");
            WriteHint(error, e, sentKey: !string.IsNullOrEmpty(apiKey));
            return ExitCodeFor(e);
        }
        catch (RepositoryUnreachableException e)
        {
            error.WriteLine($"lpatch: error [repository-unreachable]: {e.Message}");
            return ExitCodes.NoRepository;
        }
    }

    /// <summary>The call's own outcome, with a transport failure of a call that returns nothing typed as every other call's.</summary>
    private static async Task<int> Typed(Uri server, Task<int> call)
    {
        try
        {
            return await call;
        }
        catch (Exception e) when (RepositoryUnreachableException.IsUntypedTransportFailure(e))
        {
            throw RepositoryUnreachableException.From(server, e);
        }
    }

    /// <summary>The exit code of a server problem: its code's category; only a code lpatch does not know (a proxy's error
    /// page, a newer server) falls back to the HTTP status.</summary>
    internal static int ExitCodeFor(RepositoryApiException e) =>
        ErrorCategories.ExitCode(ErrorCode.FindOrNull(e.Code)?.Category ?? ErrorCategories.FromHttpStatus((int)e.Status));

    /// <summary>The server's sentence; a 413 says what was too large (a proxy's 413 has no sentence of ours).</summary>
    private static string Describe(RepositoryApiException e) => e.Status == HttpStatusCode.RequestEntityTooLarge && e.Code != "batch-too-large"
        ? $"module too large ({(string.IsNullOrWhiteSpace(e.Detail) ? "larger than the server's limit" : e.Detail)})"
        : e.Detail;

    private static void WriteHint(TextWriter error, RepositoryApiException e, bool sentKey)
    {
        var hint = e switch
        {
            { Status: HttpStatusCode.Unauthorized } when sentKey =>
                "the server refused this API key (unknown, deleted or mistyped): check --api-key or " + RepositoryEnvironment.ApiKeyVariable + ".",
            { Status: HttpStatusCode.Unauthorized } =>
                $"this needs an API key: pass --api-key KEY or set {RepositoryEnvironment.ApiKeyVariable}.",
            { Status: HttpStatusCode.Forbidden } =>
                "the API key's role may not do this (publish, promote and revoke need publisher; api-keys and patches delete need admin; " +
                "hosts and cve need viewer).",
            { Code: "duplicate-module" } =>
                "the repository already has this module for that kernel; if an earlier attempt timed out, it was published then " +
                "(see 'lpatch patches list --build-id ID').",
            _ => null,
        };
        if (hint is not null)
        {
            error.WriteLine($"lpatch: hint: {hint}");
        }
    }
}
