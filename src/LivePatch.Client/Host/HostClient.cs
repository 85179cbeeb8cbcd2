using LivePatch.Client.Loading;
using LivePatch.Client.Updates;
using LivePatch.Core.Trust;

namespace LivePatch.Client.Host;

/// <summary>Everything a host command needs, built once from client.json: trust, loader, guard, engine.</summary>
public sealed class HostClient
{
    private HostClient(ClientOptions options, TrustPolicy trust, UpdateEngine engine, BootReapply boot, IPatchLoader loader, CrashLoopGuard guard)
    {
        Options = options;
        Trust = trust;
        Engine = engine;
        Boot = boot;
        Loader = loader;
        Guard = guard;
    }

    public ClientOptions Options { get; }

    /// <summary>The pinned roots and signer threshold every signed document is verified against.</summary>
    public TrustPolicy Trust { get; }

    public UpdateEngine Engine { get; }

    /// <summary><c>lpatch apply --boot</c>: built without a repository client, so it cannot reach the network.</summary>
    public BootReapply Boot { get; }

    public IPatchLoader Loader { get; }

    public CrashLoopGuard Guard { get; }

    /// <summary>Loads and checks the configuration and the trust anchors; any problem is a <see cref="ClientConfigurationException"/>.</summary>
    public static HostClient Create(string configPath, TimeProvider time)
    {
        var options = ClientConfiguration.Load(configPath);
        var (policy, keyring) = ClientConfiguration.LoadTrust(options);
        IPatchLoader loader;
        try
        {
            loader = PatchLoaderFactory.Create(options.Loader, time);
        }
        catch (LoaderConfigurationException e)
        {
            throw new ClientConfigurationException($"{configPath}: {e.Message}", e);
        }

        var guard = new CrashLoopGuard(options, time);
        var engine = new UpdateEngine(options, policy, keyring, loader, guard, time, url => Connect(url, options));
        var boot = new BootReapply(options, policy, keyring, loader, guard, time);
        return new HostClient(options, policy, engine, boot, loader, guard);
    }

    /// <summary>A repository client with the standard resilience handler: per-request time-out, retries with backoff and jitter.</summary>
    public static RepositoryClient Connect(Uri url, ClientOptions options) => RepositoryClient.Create(new RepositoryClientOptions
    {
        Server = url,
        MaxRetryAttempts = options.Retries,
        RetryDelay = options.RetryDelay,
        AttemptTimeout = options.RequestTimeout,
        TotalTimeout = (options.RequestTimeout * (options.Retries + 1)) + (options.RetryDelay * 8),
    });
}
