using Microsoft.Extensions.Options;

namespace LivePatch.Server.Configuration;

/// <summary>In Production the keys must be configured: checked with the other settings, before anything is written, so a
/// refused start leaves no generated key hierarchy (a root private key) behind in the data folder.</summary>
public sealed class ProductionKeysValidation(IHostEnvironment environment) : IValidateOptions<RepositoryOptions>
{
    public ValidateOptionsResult Validate(string? name, RepositoryOptions options)
    {
        if (!environment.IsProduction())
        {
            return ValidateOptionsResult.Success;
        }

        List<string> missing = [];
        if (string.IsNullOrEmpty(options.Signing.Certificate))
        {
            missing.Add("LivePatch:Signing:Certificate and :Key");
        }

        if (options.ModuleKeyring.Count == 0)
        {
            missing.Add("LivePatch:ModuleKeyring");
        }

        return missing.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Refusing to start in Production on generated development keys: set {string.Join(" and ", missing)} " +
                "(and LivePatch:Signing:Roots), or run with ASPNETCORE_ENVIRONMENT=Development to try the server out.");
    }
}
