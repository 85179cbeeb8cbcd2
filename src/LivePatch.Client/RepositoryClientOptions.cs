namespace LivePatch.Client;

/// <summary>Where the repository is, the API key for write endpoints, and how patiently to retry.</summary>
/// <remarks>A class, not a record: a record's generated ToString would print the API key.</remarks>
public sealed class RepositoryClientOptions
{
    /// <summary>The server's base URL, such as <c>https://patches.example.com/</c>.</summary>
    public required Uri Server { get; init; }

    /// <summary>Sent as <c>Authorization: Bearer</c> to write and admin endpoints only; null sends no header.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Retries after the first attempt, for transient failures only (see <see cref="RepositoryResilience"/>); 0 for none.</summary>
    public int MaxRetryAttempts { get; init; } = 3;

    /// <summary>The first back-off delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>One attempt's limit; generous because a publish uploads the whole module.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The limit for a call including every retry and back-off.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(3);
}
