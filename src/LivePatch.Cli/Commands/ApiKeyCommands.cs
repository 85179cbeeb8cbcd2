using System.CommandLine;
using LivePatch.Core.Repository;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch api-keys …</c>: an admin lists, creates and deletes the repository's API keys.</summary>
internal static class ApiKeyCommands
{
    public static Command Build(RepositoryEnvironment environment) => new("api-keys", "Manage the repository's API keys (needs an admin key).")
    {
        List(environment),
        Create(environment),
        Delete(environment),
    };

    private static Command List(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var command = new Command("list", "List API keys (never their secrets: the server keeps only hashes).");
        command.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            var keys = await api.ListApiKeysAsync();
            PublisherCommands.WriteJsonOr(parse, server, output, keys, PublisherJson.Default.IReadOnlyListApiKeyInfo, () => RepositoryViews.WriteApiKeys(output, keys));
            return ExitCodes.Success;
        }));
        return server.AddTo(command, withApiKey: true);
    }

    private static Command Create(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var name = new Argument<string>("NAME") { Description = "Who or what uses the key, such as ci-kernel-team." };
        var role = new Option<string>("--role")
        {
            Description = "publisher (publish, promote, revoke), admin (everything, also API keys), reporter (only host reports: the key " +
                "hosts hold) or viewer (only the fleet questions: hosts, CVEs, patch health).",
            Required = true,
        };
        role.AcceptOnlyFromAmong([.. RepositoryRoles.All]);
        var command = new Command("create", "Create an API key; its secret is printed once, here, and cannot be shown again.") { name, role };
        command.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            var key = await api.CreateApiKeyAsync(new CreateApiKeyRequest(parse.GetRequiredValue(name), parse.GetRequiredValue(role)));
            PublisherCommands.WriteJsonOr(parse, server, output, key, PublisherJson.Default.ApiKeyInfo, () =>
            {
                output.WriteLine($"created API key {key.Id} '{key.Name}' ({key.Role})");
                output.WriteLine($"secret: {key.Secret}");
                output.WriteLine("Store the secret now: the repository keeps only its hash and cannot show it again.");
            });
            return ExitCodes.Success;
        }));
        return server.AddTo(command, withApiKey: true);
    }

    /// <summary><c>lpatch audit</c>: the newest entries of the repository's audit trail (admin).</summary>
    public static Command Audit(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var action = new Option<string>("--action") { Description = "Only this action: publish, promote, revoke, patch-delete, api-key-create, api-key-delete, upstream-sync, upstream-import, auth-failed." };
        var since = new Option<string>("--since") { Description = "Only entries at or after this time, such as 2026-03-01T12:00:00Z." };
        var limit = new Option<int>("--limit") { Description = $"How many of the newest entries (1 to {PageLimits.MaxLimit}).", DefaultValueFactory = _ => 50 };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > PageLimits.MaxLimit)
            {
                result.AddError($"--limit must be from 1 to {PageLimits.MaxLimit}.");
            }
        });
        var command = new Command("audit", "Show the newest entries of the repository's audit trail: publishes, promotions, revocations, deletions, " +
            "API key changes, imports and refused keys, with who and from where (needs an admin key).") { action, since, limit };
        command.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            var page = await api.ListAuditAsync(parse.GetValue(action), parse.GetValue(since), limit: parse.GetValue(limit));
            // Entries quote what requests sent (a path, a reason): escaped before a terminal sees them; JSON escapes itself.
            PublisherCommands.WriteJsonOr(parse, server, output, page.Items, PublisherJson.Default.IReadOnlyListAuditEntry,
                () => RepositoryViews.WriteAudit(new EscapingWriter(output), page.Items));
            return ExitCodes.Success;
        }));
        return server.AddTo(command, withApiKey: true);
    }

    private static Command Delete(RepositoryEnvironment environment)
    {
        var server = new ServerOptions();
        var id = new Argument<string>("ID") { Description = "The key's id (see 'lpatch api-keys list')." };
        var command = new Command("delete", "Delete an API key; requests made with it are refused from now on.") { id };
        command.SetAction(parse => RepositoryCall.Run(parse, server, environment, async (api, output) =>
        {
            await api.DeleteApiKeyAsync(parse.GetRequiredValue(id));
            output.WriteLine($"deleted API key {parse.GetRequiredValue(id)}");
            return ExitCodes.Success;
        }));
        return server.AddTo(command, withApiKey: true, withJson: false);
    }
}
