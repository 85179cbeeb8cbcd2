using Microsoft.Extensions.Options;

namespace LivePatch.Server.Configuration;

/// <summary>What the server is: the repository (LiteDB, keys, publishing, re-signing), or a read-only server of a mirror
/// tree (<see cref="MirrorOptions"/>).</summary>
public enum ServerMode
{
    Repository,
    Mirror,
}

/// <summary>The <c>LivePatch:Mode</c> setting, read before the services are chosen (it decides which exist at all).</summary>
public static class ServerModeSetting
{
    public const string Key = RepositoryOptions.Section + ":Mode";

    /// <summary>The configured mode; an unknown value, or a mirror directory given to a repository, fails the start with
    /// the setting named (<see cref="StartFailure"/>).</summary>
    public static ServerMode Read(IConfiguration configuration)
    {
        var mode = configuration[Key] switch
        {
            null or "" => ServerMode.Repository,
            var value when value.Equals("repository", StringComparison.OrdinalIgnoreCase) => ServerMode.Repository,
            var value when value.Equals("mirror", StringComparison.OrdinalIgnoreCase) => ServerMode.Mirror,
            var value => throw Refused($"{Key} must be 'repository' (the default) or 'mirror', not '{value}'."),
        };

        // A forgotten Mode would otherwise start a repository, with generated keys, where a mirror was meant.
        if (mode == ServerMode.Repository && !string.IsNullOrEmpty(configuration[MirrorOptions.DirectoryKey]))
        {
            throw Refused($"{MirrorOptions.DirectoryKey} is set but {Key} is not 'mirror': set {Key}=mirror to serve that tree, or remove {MirrorOptions.DirectoryKey}.");
        }

        return mode;
    }

    private static OptionsValidationException Refused(string message) => new(Key, typeof(ServerMode), [message]);
}
