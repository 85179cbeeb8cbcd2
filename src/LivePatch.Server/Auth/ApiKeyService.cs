using System.Security.Cryptography;
using System.Text;
using LivePatch.Core.Repository;
using LivePatch.Server.Configuration;
using LivePatch.Server.Storage;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Auth;

/// <summary>Who presented an API key: its name and role.</summary>
public sealed record ApiKeyIdentity(string Name, string Role);

/// <summary>Creates, checks and removes API keys. Keys look like <c>lpk_&lt;id&gt;_&lt;secret&gt;</c>; only SHA-256 of the whole key is stored.</summary>
/// <remarks>
/// The secret has 256 random bits, so a fast hash is enough (a slow password hash guards low-entropy secrets).
/// Comparison is <see cref="CryptographicOperations.FixedTimeEquals"/>, and an unknown id costs the same hash and compare.
/// </remarks>
public sealed class ApiKeyService(RepositoryDatabase db, IOptions<RepositoryOptions> options, TimeProvider time)
{
    private const string Prefix = "lpk_";
    private static readonly byte[] NoKey = new byte[32];

    public ApiKeyInfo Create(string name, string role)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var key = $"{Prefix}{id}_{secret}";
        var doc = new ApiKeyDocument { Id = id, Name = name, Role = role, SecretHash = Hash(key), CreatedMs = time.GetUtcNow().ToUnixTimeMilliseconds() };
        db.ApiKeys.Insert(doc);
        return ToInfo(doc) with { Secret = key };
    }

    public ApiKeyIdentity? Authenticate(string presented)
    {
        var hash = Hash(presented);
        foreach (var configured in options.Value.ApiKeys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, Convert.FromHexString(configured.Sha256)))
            {
                return new ApiKeyIdentity(configured.Name, configured.Role);
            }
        }

        var doc = IdOf(presented) is { } id ? db.ApiKeys.FindById(id) : null;
        var matches = CryptographicOperations.FixedTimeEquals(hash, doc?.SecretHash ?? NoKey);
        return matches && doc is not null ? new ApiKeyIdentity(doc.Name, doc.Role) : null;
    }

    public IReadOnlyList<ApiKeyInfo> List() => db.ApiKeys.FindAll().OrderBy(k => k.CreatedMs).Select(ToInfo).ToList();

    public bool Delete(string id) => db.ApiKeys.Delete(id);

    public bool HasAdmin() =>
        options.Value.ApiKeys.Any(k => k.Role == RepositoryRoles.Admin) || db.ApiKeys.Exists(k => k.Role == RepositoryRoles.Admin);

    /// <summary>SHA-256 (hex) of a whole key, for the ApiKeys configuration section.</summary>
    public static string HashForConfiguration(string key) => Convert.ToHexStringLower(Hash(key));

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static string? IdOf(string key) =>
        key.StartsWith(Prefix, StringComparison.Ordinal) && key.IndexOf('_', Prefix.Length) is var end and > 0 ? key[Prefix.Length..end] : null;

    private static ApiKeyInfo ToInfo(ApiKeyDocument doc) => new()
    {
        Id = doc.Id,
        Name = doc.Name,
        Role = doc.Role,
        Created = DateTimeOffset.FromUnixTimeMilliseconds(doc.CreatedMs),
    };
}
