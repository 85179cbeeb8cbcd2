namespace LivePatch.Client.Loading;

/// <summary>A loader's list command failed, so the applied patches are unknown (apply and remove return a result instead).</summary>
public sealed class LoaderCommandException(string message) : IOException(message);
