namespace LivePatch.Client.Loading;

/// <summary>The <c>loader</c> section of client.json is unusable; <see cref="Setting"/> names the key to fix.</summary>
public sealed class LoaderConfigurationException(string setting, string message) : Exception(message)
{
    /// <summary>The offending key, such as <c>loader.stageDirectory</c>.</summary>
    public string Setting { get; } = setting;
}
